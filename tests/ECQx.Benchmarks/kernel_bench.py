"""Bench of the C# (ECQx) kernel, driven by jupyter_client (numbers for the issue note, not a test).

    ./ecqx kernel install --prefix /tmp/ecqx-kernel
    JUPYTER_PATH=/tmp/ecqx-kernel/share/jupyter /usr/bin/python3 tests/ECQx.Benchmarks/kernel_bench.py

Prints: kernel start to first idle; first-cell latency (a trivial cell, then a first TorchSharp cell);
median latency of a trivial cell when warm; interrupt latency during a training cell (median of 5);
the kernel process's resident memory after 10 and after 100 executed cells, and the growth per cell.
Then the memory curve of a long session: CELLS (default 1000) trivial cells (`1 + 1`, then `i + 1`), and
every 100 cells the managed heap after a forced GC, the loaded assemblies, the kernel's RSS and the median
latency of those 100 cells (each cell compiles into a collectible assembly that is unloaded again).

With --workload variables the long session's cells instead declare variables the way notebooks do: each cell
deconstructs a tuple from the list of anonymous objects of the cells before, makes a new list of them (the same
shape) and stores it in that variable (all of them persist; each cell redefines `a`, `b` and `items`).

With --flood: the kernel's RSS before and after fifteen wrongly signed 50 MB messages (dropped unread past the
cap when over it, else after the signature check; either way the memory is given back).

    kernel_bench.py [--cells N] [--memory-only] [--workload trivial|variables] [--flood]
"""
import argparse
import os
import statistics
import time

from jupyter_client.manager import KernelManager


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run(kc, code):
    t = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=600, output_hook=lambda m: None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return time.perf_counter() - t


def probe(kc):
    """Managed heap (MiB) after a forced full GC, and the number of loaded assemblies, as the kernel sees them."""
    msgs = []
    code = ("GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();\n"
            "string.Create(System.Globalization.CultureInfo.InvariantCulture, "
            "$\"{GC.GetTotalMemory(true) / 1048576.0:0.0} {AppDomain.CurrentDomain.GetAssemblies().Length}\")")
    reply = kc.execute_interactive(code, timeout=600, output_hook=msgs.append)
    assert reply["content"]["status"] == "ok", reply["content"]
    value = [m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"][0]
    heap, assemblies = value.split()
    return float(heap), int(assemblies)


def workload_cell(workload, i, cells):
    """The code of the i-th cell of the long session."""
    if workload == "variables":
        return (f"var (a, b) = (rows.Sum(r => r.J) % 1000 + {i}, rows[0].Label);\n"
                "var items = Enumerable.Range(0, 8).Select(j => new { J = j + a % 3, Label = b }).ToList();\n"
                "rows = items;\n"
                "items.Count(r => r.J % 2 == 0) + a")
    return "1 + 1" if i <= cells // 2 else f"{i} + 1"


def memory_curve(kc, pid, cells, workload="trivial"):
    """Runs `cells` cells of the workload; prints the heap, assemblies, RSS and latency every 100 cells."""
    if workload == "variables":
        run(kc, 'var (a, b) = (0, "x");\nvar rows = new[] { new { J = 0, Label = "x" } }.ToList();')
    print(f"{'cells':>6} {'heap MiB':>9} {'assemblies':>10} {'RSS MiB':>8} {'median ms':>9}   ({workload} cells)")
    heap0, asm0 = probe(kc)
    rss0 = rss_mib(pid)
    print(f"{0:>6} {heap0:>9.1f} {asm0:>10} {rss0:>8.0f} {'':>9}", flush=True)
    times = []
    for i in range(1, cells + 1):
        times.append(run(kc, workload_cell(workload, i, cells)))
        if i % 100 == 0:
            heap, asm = probe(kc)
            print(f"{i:>6} {heap:>9.1f} {asm:>10} {rss_mib(pid):>8.0f} {statistics.median(times) * 1000:>9.1f}", flush=True)
            times = []
    heap, asm = probe(kc)
    print(f"growth over {cells} cells: heap {heap - heap0:+.1f} MiB, assemblies {asm - asm0:+d}, RSS {rss_mib(pid) - rss0:+.0f} MiB")


def flood(kc, pid):
    """RSS before and after 15 wrongly signed 50 MB execute_requests; the kernel must answer a cell afterwards."""
    from jupyter_client.session import Session
    forger = Session(key=b"not-the-key")
    before = rss_mib(pid)
    code = "// " + "x" * (50 << 20)
    for _ in range(15):
        forger.send(kc.shell_channel.socket, forger.msg("execute_request", {"code": code, "silent": False}))
    time.sleep(5)
    t = run(kc, "1 + 1")
    time.sleep(1)
    print(f"RSS before 15 wrongly signed 50 MB messages: {before:.0f} MiB, after: {rss_mib(pid):.0f} MiB; next cell {t * 1000:.0f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--flood", action="store_true")
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--memory-only", action="store_true")
    parser.add_argument("--workload", choices=["trivial", "variables"], default="trivial")
    args = parser.parse_args()
    km = KernelManager(kernel_name=os.environ.get("ECQX_KERNEL_NAME", "ecqx-csharp"))
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    start = time.perf_counter() - t0
    pid = km.provisioner.pid
    try:
        if args.flood:
            flood(kc, pid)
            return
        if args.memory_only:
            memory_curve(kc, pid, args.cells, args.workload)
            return
        first = run(kc, "1 + 1")
        torch_first = run(kc, "using TorchSharp;\nvar t0 = torch.ones(3, 3).sum().item<float>();")
        warm = statistics.median(run(kc, "2 + 2") for _ in range(8))
        executed = 10
        rss10 = rss_mib(pid)
        setup = ('using ECQx.Training;\nusing ECQx.Models;\nusing ECQx.Data;\n'
                 'var blobs = SyntheticBlobs.Create(seed: 1, trainCount: 4096, testCount: 64, features: 784, classes: 10, batch: new BatchOptions { BatchSize = 8, Seed = 1 });')
        run(kc, setup)
        executed += 1
        latencies = []
        for _ in range(5):
            msg_id = kc.execute('var model = ModelZoo.Create("mlp_28x28", seed: 1);\nConsole.WriteLine("training");\n'
                                'var trainer = new QuantizationAwareTrainer(model, blobs, new TrainerOptions { Epochs = 100000, BatchSize = 8, Seed = 1, Patience = 0 });\n'
                                'trainer.Run(Cancellation);')
            while True:
                m = kc.get_iopub_msg(timeout=120)
                if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
                    break
            time.sleep(1.0)
            t = time.perf_counter()
            km.interrupt_kernel()
            while True:
                m = kc.get_shell_msg(timeout=60)
                if m["parent_header"].get("msg_id") == msg_id:
                    break
            latencies.append(time.perf_counter() - t)
            assert m["content"]["status"] == "error" and m["content"]["ename"] == "Cancelled", m["content"]
            executed += 1
        rss_after_training = rss_mib(pid)
        trained_at = executed
        for i in range(executed, 100):
            run(kc, f"var v{i} = new List<int> {{ {i} }}.Sum();")
        rss100 = rss_mib(pid)
        print(f"kernel start to first idle:          {start:7.2f} s")
        print(f"first cell (1 + 1):                  {first * 1000:7.0f} ms")
        print(f"first TorchSharp cell:               {torch_first * 1000:7.0f} ms")
        print(f"warm trivial cell (median of 8) :    {warm * 1000:7.0f} ms")
        print(f"interrupt during training (median):  {statistics.median(latencies) * 1000:7.0f} ms (max {max(latencies) * 1000:.0f} ms, n={len(latencies)})")
        print(f"kernel RSS after 10 cells:           {rss10:7.0f} MiB")
        print(f"kernel RSS after {trained_at} cells (5 training): {rss_after_training:7.0f} MiB")
        print(f"kernel RSS after 100 cells:          {rss100:7.0f} MiB "
              f"({(rss100 - rss_after_training) / (100 - trained_at) * 1024:.0f} KiB per small cell from cell {trained_at} to 100)")
        memory_curve(kc, pid, args.cells, args.workload)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


if __name__ == "__main__":
    main()
