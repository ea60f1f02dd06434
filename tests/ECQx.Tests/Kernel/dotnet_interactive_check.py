"""Runs the first code cell of each notebook under the deprecated .NET Interactive kernel (kernelspec
'.net-csharp' on JUPYTER_PATH) and prints, per notebook, the error the cell stopped with as JSON lines.

Usage: dotnet_interactive_check.py NOTEBOOK...
"""
import json
import os
import sys

from jupyter_client.manager import KernelManager


def main(paths):
    km = KernelManager(kernel_name=".net-csharp")
    km.start_kernel(cwd=os.path.dirname(os.path.abspath(paths[0])))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=300)
        for path in paths:
            with open(path, encoding="utf-8") as f:
                nb = json.load(f)
            first = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
            outputs = []
            reply = kc.execute_interactive(first, timeout=600, output_hook=lambda m: outputs.append(m))["content"]
            errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
            print(json.dumps({"notebook": os.path.basename(path), "status": reply["status"],
                              "evalue": reply.get("evalue", ""), "errors": len(errors),
                              "other_outputs": [m["msg_type"] for m in outputs if m["msg_type"] not in ("error", "status", "execute_input")]}),
                  flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main(sys.argv[1:])
