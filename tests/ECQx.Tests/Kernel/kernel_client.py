"""Drives the C# (ECQx) kernel with jupyter_client's BlockingKernelClient (a client nobody here wrote).

Usage: kernel_client.py SCENARIO   (JUPYTER_PATH must find the kernelspec named by ECQX_KERNEL_NAME)
Scenarios: protocol, interrupt, restart, wrong-key, stdin, hostile (run with ECQX_KERNEL_MAX_MESSAGE_MIB=1). Each asserts what the kernel must do and prints
'PASS <scenario>' at the end; any failed assertion exits non-zero with the reason.
"""
import json
import os
import queue
import sys
import time
import uuid

from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

TIMEOUT = 120


def start():
    km = KernelManager(kernel_name=os.environ.get("ECQX_KERNEL_NAME", "ecqx-csharp"))
    km.start_kernel(cwd=os.environ.get("ECQX_KERNEL_CWD") or None)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=TIMEOUT)
    print("kernel pid", km.provisioner.pid if hasattr(km, "provisioner") and km.provisioner else "?", flush=True)
    return km, kc


def reply_to(kc, msg_id, timeout=TIMEOUT, channel=None):
    """The reply to msg_id on shell (or on the channel whose get-message function is given, e.g. kc.get_control_msg)."""
    get = channel or kc.get_shell_msg
    deadline = time.time() + timeout
    while True:
        msg = get(timeout=max(0.1, deadline - time.time()))
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg


def run(kc, code, timeout=TIMEOUT):
    """Executes code; returns (reply content, iopub messages of this request in order, without status)."""
    msgs = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda m: msgs.append(m))
    return reply["content"], [(m["msg_type"], m["content"]) for m in msgs if m["msg_type"] != "status"]


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def text(data):
    value = data.get("text/plain", "")
    return "".join(value) if isinstance(value, list) else value


def protocol():
    km, kc = start()
    try:
        info = kc.kernel_info(reply=True) if "reply" in kc.kernel_info.__code__.co_varnames else reply_to(kc, kc.kernel_info())
        content = info["content"]
        check(content["status"] == "ok", f"kernel_info status {content}")
        check(content["protocol_version"].split(".")[0] == "5" and tuple(map(int, content["protocol_version"].split(".")[:2])) >= (5, 3),
              f"protocol version {content['protocol_version']}")
        check(content["language_info"]["name"] == "C#" and content["language_info"]["file_extension"] == ".cs", f"language_info {content['language_info']}")

        # Streams and displays arrive in order, the display handle updates in place, the trailing value is the result.
        reply, out = run(kc, 'Console.WriteLine("first");\nvar h = display("shown");\nConsole.Error.WriteLine("warn");\n'
                             'h.Update("updated");\ndisplay(HTML("<b>bold</b>"));\nint answer = 6 * 7;\nanswer')
        check(reply["status"] == "ok" and reply["execution_count"] == 1, f"execute_reply {reply}")
        kinds = [k for k, _ in out]
        check(kinds == ["execute_input", "stream", "display_data", "stream", "update_display_data", "display_data", "execute_result"],
              f"output order {kinds}")
        check(out[0][1]["execution_count"] == 1 and "answer" in out[0][1]["code"], f"execute_input {out[0]}")
        check(out[1][1] == {"name": "stdout", "text": "first\n"}, f"stdout {out[1]}")
        display_id = out[2][1]["transient"]["display_id"]
        check(text(out[2][1]["data"]) == "shown" and display_id, f"display_data {out[2]}")
        check(out[3][1] == {"name": "stderr", "text": "warn\n"}, f"stderr {out[3]}")
        check(out[4][1]["transient"]["display_id"] == display_id and text(out[4][1]["data"]) == "updated", f"update {out[4]}")
        check(out[5][1]["data"]["text/html"] == "<b>bold</b>", f"html {out[5]}")
        check(out[6][1]["execution_count"] == 1 and text(out[6][1]["data"]) == "42", f"execute_result {out[6]}")

        # A runtime error: ename, evalue and a traceback naming the cell and line; the count still advances.
        reply, out = run(kc, 'var numbers = new List<int> { 1, 2 };\n\nvar third = numbers[answer];')
        check(reply["status"] == "error" and reply["ename"] == "ArgumentOutOfRangeException", f"error reply {reply}")
        errors = [c for k, c in out if k == "error"]
        check(len(errors) == 1 and any("cell-2, line 3" in line for line in errors[0]["traceback"]), f"traceback {errors}")
        # A compile error names the line and column.
        reply, out = run(kc, 'int ok = 1;\nstring s = ok;')
        check(reply["status"] == "error" and reply["ename"] == "CompilationError" and "CS0029" in reply["evalue"], f"compile error {reply}")
        check(any("cell-3, line 2, column" in line for line in reply["traceback"]), f"compile traceback {reply['traceback']}")
        # Variables of cells that succeeded survive the failures.
        reply, out = run(kc, 'answer + 1')
        check(reply["status"] == "ok" and text(out[-1][1]["data"]) == "43", f"after errors {reply} {out}")

        # Executions queued behind a failing one (sent before its reply) are aborted; stop_on_error=False lets
        # them run; an execution sent after the failed cell's reply runs (a client that saw the error goes on).
        failing = kc.execute('Thread.Sleep(700);\nthrow new InvalidOperationException("stop here");')
        queued = kc.execute('answer + 100')
        fail_reply = reply_to(kc, failing)["content"]
        queued_reply = reply_to(kc, queued)["content"]
        check(fail_reply["status"] == "error" and fail_reply["ename"] == "InvalidOperationException", f"failing cell {fail_reply}")
        check(queued_reply["status"] == "aborted", f"queued behind a failure {queued_reply}")
        allowed_failing = kc.execute('Thread.Sleep(700);\nthrow new InvalidOperationException("go on");', stop_on_error=False)
        allowed = kc.execute('answer + 200')
        check(reply_to(kc, allowed_failing)["content"]["status"] == "error", "failing cell with stop_on_error=False")
        check(reply_to(kc, allowed)["content"]["status"] == "ok", "queued behind stop_on_error=False must run")
        reply, out = run(kc, 'answer + 300')
        check(reply["status"] == "ok" and text(out[-1][1]["data"]) == "342", f"after an aborted queue {reply} {out}")

        # Malformed requests (a field of the wrong JSON type, validly signed) get an error reply of the matching type and
        # change nothing; the kernel keeps working, on shell and on control.
        bad = kc.session.msg("execute_request", {"code": 123, "silent": False})
        kc.shell_channel.send(bad)
        r = reply_to(kc, bad["header"]["msg_id"])
        check(r["msg_type"] == "execute_reply" and r["content"]["status"] == "error" and r["content"]["ename"] == "MalformedRequest"
              and "'code'" in r["content"]["evalue"], f"malformed execute {r['content']}")
        bad = kc.session.msg("complete_request", {"code": "answer.", "cursor_pos": "end"})
        kc.shell_channel.send(bad)
        r = reply_to(kc, bad["header"]["msg_id"])
        check(r["msg_type"] == "complete_reply" and r["content"]["status"] == "error" and "'cursor_pos'" in r["content"]["evalue"], f"malformed complete {r['content']}")
        bad = kc.session.msg("is_complete_request", {"code": ["not", "a", "string"]})
        kc.control_channel.send(bad)
        r = reply_to(kc, bad["header"]["msg_id"], channel=kc.get_control_msg)
        check(r["msg_type"] == "is_complete_reply" and r["content"]["status"] == "error", f"malformed is_complete on control {r['content']}")
        bad = kc.session.msg("shutdown_request", {"restart": "soon"})
        kc.control_channel.send(bad)
        r = reply_to(kc, bad["header"]["msg_id"], channel=kc.get_control_msg)
        check(r["msg_type"] == "shutdown_reply" and r["content"]["status"] == "error", f"malformed shutdown {r['content']}")
        reply, out = run(kc, 'answer + 400')
        check(reply["status"] == "ok" and text(out[-1][1]["data"]) == "442", f"after malformed requests {reply} {out}")

        # is_complete
        for code, status in [("for (int i = 0; i < 3; i++) {", "incomplete"), ("var z = answer *", "incomplete"), ("var z = answer * 2;", "complete"),
                             ("}", "invalid"), (")", "invalid"), ("int 3x = 1;", "invalid"), ("int 3x = 1;\nif (answer > 0) {", "invalid")]:
            r = reply_to(kc, kc.is_complete(code))["content"]
            check(r["status"] == status, f"is_complete({code!r}) = {r}")

        # complete: members after '.', variables of earlier cells, types.
        code = "answer.ToStr"
        r = reply_to(kc, kc.complete(code, len(code)))["content"]
        check(r["status"] == "ok" and "ToString" in r["matches"] and r["cursor_start"] == len("answer.") and r["cursor_end"] == len(code), f"complete members {r}")
        code = "var q = ans"
        r = reply_to(kc, kc.complete(code, len(code)))["content"]
        check("answer" in r["matches"], f"complete variable {r['matches'][:20]}")
        code = "var t = new QuantizationAw"
        r = reply_to(kc, kc.complete(code, len(code)))["content"]
        check("QuantizationAwareTrainer" in r["matches"] or not r["matches"] and False, f"complete type {r['matches'][:20]}")
        code = "Console.Wri"
        r = reply_to(kc, kc.complete(code, len(code)))["content"]
        check("WriteLine" in r["matches"] and "Write" in r["matches"], f"complete static member {r['matches'][:20]}")

        # inspect: signature and XML-doc summary of the symbol under the cursor.
        code = "ECQx.Plots.ChartHtml.FigureJson(null)"
        r = reply_to(kc, kc.inspect(code, code.index("FigureJson") + 3))["content"]
        check(r["status"] == "ok" and r["found"], f"inspect found {r}")
        check("FigureJson(" in text(r["data"]) and len(text(r["data"]).split("\n\n")) >= 2, f"inspect text {text(r['data'])!r}")
        code = "answer"
        r = reply_to(kc, kc.inspect(code, 3))["content"]
        check(r["found"] and "int" in text(r["data"]) and "answer" in text(r["data"]), f"inspect variable {r}")

        # comm_info: no comms.
        r = reply_to(kc, kc.comm_info())["content"]
        check(r["status"] == "ok" and r["comms"] == {}, f"comm_info {r}")
        print("PASS protocol", flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def interrupt():
    km, kc = start()
    try:
        reply, _ = run(kc, "var kept = \"before\";")
        check(reply["status"] == "ok", f"setup {reply}")
        cells = {
            # A training loop of the library (cancellation after every batch, via the cell's token).
            "training": 'using ECQx.Training;\nusing ECQx.Models;\nusing ECQx.Data;\n'
                        'var blobs = SyntheticBlobs.Create(seed: 1, trainCount: 4096, testCount: 64, features: 784, classes: 10, batch: new BatchOptions { BatchSize = 8, Seed = 1 });\n'
                        'var model = ModelZoo.Create("mlp_28x28", seed: 1);\n'
                        'Console.WriteLine("training");\n'
                        'var trainer = new QuantizationAwareTrainer(model, blobs, new TrainerOptions { Epochs = 100000, BatchSize = 8, Seed = 1, Patience = 0 });\n'
                        'trainer.Run(Cancellation);',
            # Plain C#: a loop with sleeps, and a busy loop with no call at all.
            "sleep loop": 'Console.WriteLine("training");\nfor (int i = 0; i < 100000; i++) { Thread.Sleep(100); }',
            "busy loop": 'Console.WriteLine("training");\nlong n = 0;\nwhile (true) n++;',
        }
        for name, code in cells.items():
            msg_id = kc.execute(code)
            # Wait until the cell is really running (its first printed line), then interrupt.
            deadline = time.time() + TIMEOUT
            while True:
                m = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
                if m["parent_header"].get("msg_id") != msg_id:
                    continue
                check(m["msg_type"] != "error", f"{name}: the cell failed before it was interrupted: {m['content']}")
                if m["msg_type"] == "stream":
                    break
            time.sleep(0.5)
            t0 = time.time()
            km.interrupt_kernel()
            reply = reply_to(kc, msg_id, timeout=30)["content"]
            latency = time.time() - t0
            print(f"interrupt latency ({name}): {latency:.3f} s", flush=True)
            check(reply["status"] == "error" and reply["ename"] == "Cancelled", f"{name}: interrupted reply {reply}")
            check(latency < 2.0, f"{name}: interrupt took {latency:.2f} s")
            reply, out = run(kc, "kept + \" and after\"")
            check(reply["status"] == "ok" and text(out[-1][1]["data"]) == "before and after", f"{name}: after interrupt {reply} {out}")
        # interrupt_request on shell (some clients send it there) also stops a running cell.
        msg_id = kc.execute('Console.WriteLine("go");\nwhile (true) { Thread.Sleep(50); }')
        time.sleep(1.5)
        t0 = time.time()
        shell_interrupt = kc.session.msg("interrupt_request", {})
        kc.shell_channel.send(shell_interrupt)
        reply = reply_to(kc, msg_id, timeout=30)["content"]
        check(reply["status"] == "error" and reply["ename"] == "Cancelled" and time.time() - t0 < 2.0, f"shell interrupt {reply}")
        print("PASS interrupt", flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def restart():
    km, kc = start()
    try:
        pid = km.provisioner.pid
        reply, _ = run(kc, "int survives = 1;")
        check(reply["status"] == "ok", f"setup {reply}")
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=TIMEOUT)
        check(km.provisioner.pid != pid, "restart kept the same process")
        check(km.is_alive(), "kernel is not alive after restart")
        reply, _ = run(kc, "survives")
        check(reply["status"] == "error" and "CS0103" in reply["evalue"], f"restart kept state {reply}")
        reply, out = run(kc, "1 + 1")
        check(reply["status"] == "ok" and reply["execution_count"] == 2 and text(out[-1][1]["data"]) == "2", f"after restart {reply} {out}")
        print("PASS restart", flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    check(not km.is_alive(), "kernel still alive after shutdown")


def wrong_key():
    km, kc = start()
    try:
        marker = os.path.join(os.environ.get("TMPDIR", "/tmp"), "ecqx-forged-" + uuid.uuid4().hex)
        forged_code = f'System.IO.File.WriteAllText("{marker}", "executed");'
        while True:  # replies left over from wait_for_ready
            try:
                kc.get_shell_msg(timeout=1)
            except queue.Empty:
                break
        for forger in (Session(key=b"not-the-key"), Session(key=b"")):
            msg = forger.msg("execute_request", {"code": forged_code, "silent": False, "store_history": True,
                                                 "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
            forger.send(kc.shell_channel.socket, msg)
            try:
                m = kc.get_shell_msg(timeout=3)
                raise AssertionError(f"forged message was answered: {m['msg_type']}")
            except queue.Empty:
                pass
        check(not os.path.exists(marker), "a forged execute_request was executed")
        reply, out = run(kc, "21 * 2")
        check(reply["status"] == "ok" and reply["execution_count"] == 1 and text(out[-1][1]["data"]) == "42", f"after forged {reply}")
        check(not os.path.exists(marker), "a forged execute_request was executed")
        print("PASS wrong-key", flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def iopub_of(kc, msg_id, timeout=TIMEOUT):
    """The iopub messages of one request (without status), up to its idle status."""
    out, deadline = [], time.time() + timeout
    while True:
        m = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "status":
            if m["content"]["execution_state"] == "idle":
                return out
            continue
        out.append((m["msg_type"], m["content"]))


def stdin():
    km, kc = start()
    try:
        # allow_stdin=True: Console.ReadLine() asks the client (input_request on stdin, prompt = the pending
        # stdout text of the line), the client's input_reply is the line read.
        code = 'Console.Write("Your name: ");\nvar name = Console.ReadLine();\nConsole.WriteLine($"Hello, {name}!");\nname.Length'
        msg_id = kc.execute(code, allow_stdin=True)
        req = kc.get_stdin_msg(timeout=TIMEOUT)
        check(req["msg_type"] == "input_request" and req["parent_header"]["msg_id"] == msg_id, f"input_request {req['msg_type']} {req['parent_header']}")
        prompt = req["content"]["prompt"]
        check(req["content"]["password"] is False and prompt in ("Your name: ", ""), f"input_request content {req['content']}")
        kc.input("Ada")
        reply = reply_to(kc, msg_id)["content"]
        out = iopub_of(kc, msg_id)
        check(reply["status"] == "ok", f"execute_reply with input {reply}")
        streams = "".join(c["text"] for k, c in out if k == "stream")
        # The prompt text is shown once: as the prompt, or (when more than 100 ms passed before the read and the
        # partial line was already streamed) as stdout. IopubOutputsTests checks the prompt deterministically.
        check(prompt + streams == "Your name: Hello, Ada!\n", f"prompt {prompt!r} + stdout {streams!r}")
        print(f"input_request prompt: {prompt!r}", flush=True)
        check([text(c["data"]) for k, c in out if k == "execute_result"] == ["3"], f"result {out}")

        # Several reads in one cell, and char-wise reads (Console.Read) of the same line.
        msg_id = kc.execute('int a = int.Parse(Console.ReadLine()!);\nchar first = (char)Console.Read();\nstring rest = Console.ReadLine()!;\n$"{a * 2} {first} {rest}"', allow_stdin=True)
        for value in ("21", "xyz"):
            req = kc.get_stdin_msg(timeout=TIMEOUT)
            check(req["msg_type"] == "input_request" and req["content"]["prompt"] == "", f"second cell input_request {req['content']}")
            if value == "21":  # a malformed reply (value not a string) is logged and ignored; the read goes on waiting
                kc.stdin_channel.send(kc.session.msg("input_reply", {"value": 5}))
                time.sleep(0.3)
            kc.input(value)
        reply = reply_to(kc, msg_id)["content"]
        out = iopub_of(kc, msg_id)
        check(reply["status"] == "ok" and [text(c["data"]) for k, c in out if k == "execute_result"] == ["42 x yz"], f"reads {reply} {out}")

        # An interrupt while the cell waits for input cancels it; the kernel keeps earlier variables and goes on.
        msg_id = kc.execute('var never = Console.ReadLine();', allow_stdin=True)
        req = kc.get_stdin_msg(timeout=TIMEOUT)
        check(req["msg_type"] == "input_request", f"input_request before interrupt {req['msg_type']}")
        t0 = time.time()
        km.interrupt_kernel()
        reply = reply_to(kc, msg_id, timeout=30)["content"]
        latency = time.time() - t0
        check(reply["status"] == "error" and reply["ename"] == "Cancelled" and latency < 2.0, f"interrupt while waiting for input {reply} after {latency:.2f} s")
        kc.input("too late")  # a reply nobody waits for any more is ignored
        reply, out = run(kc, "name + \" again\"")
        check(reply["status"] == "ok" and text(out[-1][1]["data"]) == "Ada again", f"after interrupted input {reply} {out}")

        # allow_stdin=False (what nbclient sends): reading fails at once with a clear error, no input_request.
        msg_id = kc.execute('var x = Console.ReadLine();', allow_stdin=False)
        reply = reply_to(kc, msg_id, timeout=30)["content"]
        check(reply["status"] == "error" and reply["ename"] == "InvalidOperationException"
              and "reads input" in reply["evalue"] and "does not allow stdin" in reply["evalue"], f"allow_stdin=False {reply}")
        try:
            m = kc.get_stdin_msg(timeout=1)
            raise AssertionError(f"input_request sent although allow_stdin=False: {m['content']}")
        except queue.Empty:
            pass
        reply, out = run(kc, "1 + 2")
        check(reply["status"] == "ok" and text(out[-1][1]["data"]) == "3", f"after a refused read {reply}")
        print("PASS stdin", flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def no_reply(kc, what, seconds=3):
    """Asserts that nothing comes back on shell within a few seconds."""
    try:
        m = kc.get_shell_msg(timeout=seconds)
        raise AssertionError(f"{what} was answered: {m['msg_type']} {m['content']}")
    except queue.Empty:
        pass


def send_signed(kc, header, content=b"{}", buffers=()):
    """Sends raw, correctly signed frames (header given as bytes) on shell."""
    parts = [header, b"{}", b"{}", content]
    kc.shell_channel.socket.send_multipart([b"<IDS|MSG>", kc.session.sign(parts), *parts, *buffers])


def hostile():
    """Signed messages with a malformed header, a replayed message and messages over the size cap (1 MiB here) are
    dropped; after each the kernel answers the next request."""
    check(os.environ.get("ECQX_KERNEL_MAX_MESSAGE_MIB") == "1", "run with ECQX_KERNEL_MAX_MESSAGE_MIB=1")
    km, kc = start()
    try:
        while True:  # replies left over from wait_for_ready
            try:
                kc.get_shell_msg(timeout=1)
            except queue.Empty:
                break
        expected = 0

        def answers(what):
            nonlocal expected
            expected += 1
            reply, out = run(kc, f"{expected} * 3")
            check(reply["status"] == "ok" and text(out[-1][1]["data"]) == str(expected * 3), f"after {what}: {reply} {out}")

        def header(msg_type):
            h = {"msg_id": uuid.uuid4().hex, "session": kc.session.session, "username": "x", "date": "2026-01-01T00:00:00Z", "version": "5.3"}
            raw = json.dumps({**h, "msg_type": "MSG_TYPE"}).encode()
            return raw.replace(b'"MSG_TYPE"', msg_type)

        execute = json.dumps({"code": "1 + 1", "silent": False}).encode()
        for name, msg_type in [("number", b"5"), ("object", b'{"a": 1}'), ("array", b"[]"), ("null", b"null"),
                               ("invalid UTF-8", b'"execute_\xff\xfe_request"')]:
            send_signed(kc, header(msg_type), execute)
            no_reply(kc, f"a header whose msg_type is {name}")
            answers(f"msg_type {name}")
        # Invalid UTF-8 in the content of a well-formed execute_request.
        send_signed(kc, header(b'"execute_request"'), b'{"code": "\xff", "silent": false}')
        no_reply(kc, "content with invalid UTF-8")
        answers("content with invalid UTF-8")

        # Replay: the same signed frames twice run once.
        marker = os.path.join(os.environ.get("TMPDIR", "/tmp"), "ecqx-replay-" + uuid.uuid4().hex)
        msg = kc.session.msg("execute_request", {"code": f'System.IO.File.AppendAllText("{marker}", "x");', "silent": False,
                                                 "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        frames = kc.session.serialize(msg)
        kc.shell_channel.socket.send_multipart(frames)
        check(reply_to(kc, msg["header"]["msg_id"])["content"]["status"] == "ok", "the first copy runs")
        kc.shell_channel.socket.send_multipart(frames)
        no_reply(kc, "a replayed execute_request")
        with open(marker) as f:
            check(f.read() == "x", "the replayed execute_request ran again")
        answers("a replay")

        # Size cap (1 MiB): a cell of 0.5 MiB runs; one frame of 2 MiB, or frames adding up to 1.8 MiB, are dropped unanswered.
        reply, out = run(kc, "// " + "p" * (512 * 1024) + "\n40 + 2")
        check(reply["status"] == "ok" and text(out[-1][1]["data"]) == "42", f"a 0.5 MiB cell {reply}")
        expected += 1
        big = kc.session.msg("execute_request", {"code": "// " + "q" * (2 << 20) + "\n1", "silent": False})
        kc.shell_channel.send(big)
        no_reply(kc, "a 2 MiB message")
        answers("a 2 MiB message")
        parts = [header(b'"execute_request"'), b"{}", b"{}", execute]
        kc.shell_channel.socket.send_multipart([b"<IDS|MSG>", kc.session.sign(parts), *parts, *([b"b" * (600 * 1024)] * 3)])
        no_reply(kc, "a message whose frames add up to 1.8 MiB")
        answers("frames over the cap")
        print("PASS hostile", flush=True)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


if __name__ == "__main__":
    {"protocol": protocol, "interrupt": interrupt, "restart": restart, "wrong-key": wrong_key, "stdin": stdin, "hostile": hostile}[sys.argv[1]]()
