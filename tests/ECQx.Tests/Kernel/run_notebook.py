"""Executes a notebook with nbclient through the installed C# (ECQx) kernelspec (the notebook's metadata names it).

Usage: run_notebook.py IN.ipynb OUT.ipynb [INJECTED_SOURCE_FILE]
Parameters are set as papermill does: a code cell tagged 'injected-parameters', holding the given C#
assignments, is inserted right after the cell tagged 'parameters'. The kernel starts in the notebook's folder.
Exit 0 when every cell ran; on a cell error nbclient's CellExecutionError is printed and the exit code is 1
(the partly executed notebook is still written).
"""
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main(source, target, injected_file=None):
    nb = nbformat.read(source, as_version=4)
    if injected_file:
        with open(injected_file, encoding="utf-8") as f:
            injected = f.read()
        index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", []))
        cell = nbformat.v4.new_code_cell(injected, metadata={"tags": ["injected-parameters"]})
        cell["id"] = "injected-parameters"
        nb.cells.insert(index + 1, cell)
    client = NotebookClient(nb, timeout=1200, startup_timeout=120,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}})
    status = 0
    try:
        client.execute()
    except CellExecutionError as e:
        print(f"nbclient: {e}", file=sys.stderr)
        status = 1
    nbformat.write(nb, target)
    print(f"kernel {client.kc is None and 'stopped' or 'running'}; wrote {target}")
    return status


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
