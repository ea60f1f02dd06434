"""Drives the C# (ECQx) kernel through a running Jupyter Notebook server (Debian's jupyter-notebook), as the
documented "open the notebook, pick C# (ECQx), run a cell" path does: the server's REST API and its kernel
websocket (/api/kernels/<id>/channels, Jupyter messages as JSON), with tornado's websocket client.

Usage: notebook_server_client.py BASE_URL TOKEN ROOT NOTEBOOK   (ROOT: the server's folder; NOTEBOOK: a path in it)
Checks (a) /api/kernelspecs lists the kernel named in the notebook's metadata as "C# (ECQx)", (b) a session for
the notebook starts that kernel, (c) the notebook's first code cells and a cell with ECQx + TorchSharp + a Plotly
chart run with the expected replies and outputs, (d) POST /api/kernels/<id>/interrupt stops a running loop and
the next execution works. Prints 'PASS notebook-server' at the end; a failed check exits non-zero with the reason.
"""
import asyncio
import datetime
import json
import os
import sys
import time
import urllib.request
import uuid

from tornado.websocket import websocket_connect

TIMEOUT = 240


def check(cond, what):
    if not cond:
        raise AssertionError(what)


class Server:
    def __init__(self, base, token):
        self.base, self.token = base.rstrip("/"), token

    def api(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": "token " + self.token, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            raw = r.read()
            return r.status, (json.loads(raw) if raw else None)


class Channels:
    """The server's kernel websocket: sends shell requests, collects replies and iopub messages by parent."""

    def __init__(self, ws, session):
        self.ws, self.session = ws, session

    def send(self, msg_type, content, channel="shell"):
        msg_id = uuid.uuid4().hex
        self.ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": msg_type, "username": "test", "session": self.session,
                       "date": datetime.datetime.now(datetime.timezone.utc).isoformat(), "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": []}))
        return msg_id

    async def receive(self, deadline):
        raw = await asyncio.wait_for(self.ws.read_message(), timeout=max(0.1, deadline - time.time()))
        check(raw is not None, "the server closed the kernel websocket")
        return json.loads(raw)

    async def execute(self, code, timeout=TIMEOUT, on_output=None):
        """Runs code; returns (execute_reply content, iopub outputs [(type, content)] of this request)."""
        msg_id = self.send("execute_request", {"code": code, "silent": False, "store_history": True,
                                               "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        reply, outputs, idle = None, [], False
        deadline = time.time() + timeout
        while reply is None or not idle:
            m = await self.receive(deadline)
            if m.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if m["channel"] == "shell" and m["msg_type"] == "execute_reply":
                reply = m["content"]
            elif m["channel"] == "iopub":
                if m["msg_type"] == "status":
                    idle = m["content"]["execution_state"] == "idle"
                else:
                    outputs.append((m["msg_type"], m["content"]))
                    if on_output:
                        await on_output(m["msg_type"], m["content"])
        return reply, outputs


def stdout_of(outputs):
    return "".join(c["text"] for k, c in outputs if k == "stream" and c["name"] == "stdout")


async def main(base, token, root, notebook):
    server = Server(base, token)
    with open(os.path.join(root, notebook), encoding="utf-8") as f:
        nb = json.load(f)
    kernel_name = nb["metadata"]["kernelspec"]["name"]
    code_cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]

    # (a) The server lists the kernelspec under the notebook's kernel name, with our display name.
    status, specs = server.api("GET", "/api/kernelspecs")
    check(status == 200 and kernel_name in specs["kernelspecs"], f"kernelspecs {list(specs['kernelspecs'])} lack {kernel_name}")
    spec = specs["kernelspecs"][kernel_name]["spec"]
    check(spec["display_name"] == "C# (ECQx)" and spec["language"] == "csharp", f"kernelspec {spec}")
    check(spec.get("interrupt_mode") == "message", f"interrupt_mode {spec.get('interrupt_mode')}")
    print("(a) kernelspecs:", sorted(specs["kernelspecs"]), "default", specs.get("default"), flush=True)

    # (b) A session for the notebook, with the kernel its metadata names (what opening the notebook does).
    status, session = server.api("POST", "/api/sessions", {"path": notebook, "type": "notebook", "name": "",
                                                           "kernel": {"name": kernel_name}})
    check(status == 201 and session["kernel"]["name"] == kernel_name, f"session {status} {session}")
    kernel_id = session["kernel"]["id"]
    print("(b) session", session["id"], "kernel", kernel_id, flush=True)

    ws = await websocket_connect(f"{base.replace('http', 'ws', 1).rstrip('/')}/api/kernels/{kernel_id}/channels"
                                 f"?session_id={uuid.uuid4().hex}&token={token}")
    channels = Channels(ws, uuid.uuid4().hex)
    try:
        # (c) The notebook's guard/parameters cell, its setup cell, then ECQx + TorchSharp + a Plotly chart.
        for number, code in enumerate(code_cells[:2], start=1):
            t0 = time.time()
            reply, outputs = await channels.execute(code)
            check(reply["status"] == "ok", f"notebook cell {number}: {reply}")
            check(not [c for k, c in outputs if k == "error"], f"notebook cell {number} errors: {outputs}")
            print(f"(c) notebook code cell {number}: ok in {time.time() - t0:.1f} s", flush=True)
        reply, outputs = await channels.execute(
            'var w = torch.tensor(new float[] { -0.9f, -0.1f, 0.02f, 0.05f, 0.6f, 1.2f });\n'
            'var cb = Codebook.FromWeights(w, 4, name: "demo");\n'
            'Console.WriteLine($"codebook {cb.MinLevel}..{cb.MaxLevel}, quick={quick}, seed={seed}");\n'
            'display(Figures.AccuracyVsSparsity(new[] { new QuantizationResult("ECQ", 4, 90, 70), new QuantizationResult("ECQx", 4, 91, 72) }));\n'
            'w.numel()')
        check(reply["status"] == "ok", f"ECQx cell reply {reply}")
        kinds = [k for k, _ in outputs]
        check(kinds == ["execute_input", "stream", "display_data", "execute_result"], f"ECQx cell outputs {kinds}")
        check(stdout_of(outputs).startswith("codebook ") and "quick=False, seed=808" in stdout_of(outputs), f"stdout {stdout_of(outputs)!r}")
        mimes = sorted(outputs[2][1]["data"])
        # image/png too when Chromium is there to render it (see ChartPngRenderer).
        check({"application/vnd.plotly.v1+json", "text/html", "text/plain"} <= set(mimes) and set(mimes) <= {"application/vnd.plotly.v1+json", "text/html", "text/plain", "image/png"},
              f"chart mime types {mimes}")
        figure = outputs[2][1]["data"]["application/vnd.plotly.v1+json"]
        check(len(figure["data"]) == 2 and "layout" in figure, f"figure {json.dumps(figure)[:300]}")
        check(outputs[3][1]["data"]["text/plain"] == "6", f"execute_result {outputs[3][1]}")
        print("(c) ECQx + TorchSharp + Plotly cell: stdout", repr(stdout_of(outputs)), "chart", mimes, flush=True)

        # (d) The server's interrupt (POST /api/kernels/<id>/interrupt) stops a running loop; the kernel goes on.
        started = asyncio.get_running_loop().create_future()

        async def on_output(kind, content):
            if kind == "stream" and not started.done():
                started.set_result(time.time())

        async def interrupt_when_running():
            await asyncio.wait_for(started, timeout=TIMEOUT)
            await asyncio.sleep(0.5)
            status, _ = server.api("POST", f"/api/kernels/{kernel_id}/interrupt")
            check(status == 204, f"interrupt status {status}")
            return time.time()

        interrupter = asyncio.ensure_future(interrupt_when_running())
        reply, outputs = await channels.execute('Console.WriteLine("looping");\nwhile (true) { Thread.Sleep(50); }', on_output=on_output)
        interrupted_at = await interrupter
        latency = time.time() - interrupted_at
        check(reply["status"] == "error" and reply["ename"] == "Cancelled", f"interrupted reply {reply}")
        check(latency < 5.0, f"interrupt took {latency:.2f} s")
        reply, outputs = await channels.execute('$"after interrupt: {seed}"')
        check(reply["status"] == "ok" and outputs[-1][1]["data"]["text/plain"] == "after interrupt: 808", f"after interrupt {reply} {outputs}")
        print(f"(d) interrupt through the server: Cancelled after {latency:.3f} s; next execution ok", flush=True)
    finally:
        ws.close()
        server.api("DELETE", f"/api/sessions/{session['id']}")
    status, kernels = server.api("GET", "/api/kernels")
    check(all(k["id"] != kernel_id for k in kernels), f"the kernel outlived its session: {kernels}")
    print("PASS notebook-server", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
