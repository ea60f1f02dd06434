"""Makes a train-steps case (docs/parity.md): runs the ECQx reference implementation (a checkout of d-becking/ECQx in $REF,
not part of this repository) for a few batches with Debian's python3-torch and records every step.
Usage: /usr/bin/python3 reference_train_steps.py OUTDIR --bits 4 --lam 0.05 [--lrp 1] [--alpha 0.1] [--p 0.1] [--seed 4321]
       [--batches 4] [--batch 32] [--xy DIR] [--threads 2] [--dump] [--replay STEPS --alpha 0]
NOMKLDNN=1 runs the convolutions without oneDNN (a rounding-only change, to measure the reference against itself)."""
import sys, os, argparse, copy, json, struct
from collections import OrderedDict
REF = os.environ.get('REF') or sys.exit('set REF to a checkout of d-becking/ECQx (commit 91ff940)')
sys.path.insert(0, REF)
import numpy as np, torch

# ---- minimal safetensors reader/writer (F32/I64) ----
DT = {'F32': np.float32, 'I64': np.int64, 'F64': np.float64, 'I32': np.int32, 'U8': np.uint8}
def st_load(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8+n]); base = 8+n
    meta = h.pop('__metadata__', {})
    out = {}
    for k, v in h.items():
        s, e = v['data_offsets']
        out[k] = torch.from_numpy(np.frombuffer(b[base+s:base+e], dtype=DT[v['dtype']]).reshape(v['shape']).copy())
    return out, meta
def st_save(path, tensors, meta=None):
    h = {}; off = 0; bufs = []
    for k, t in tensors.items():
        a = t.detach().cpu().contiguous().numpy()
        dt = {np.float32: 'F32', np.int64: 'I64'}[a.dtype.type]
        raw = a.tobytes(); h[k] = {'dtype': dt, 'shape': list(a.shape), 'data_offsets': [off, off+len(raw)]}
        off += len(raw); bufs.append(raw)
    if meta: h['__metadata__'] = {k: str(v) for k, v in meta.items()}
    hb = json.dumps(h).encode(); hb += b' ' * ((8 - len(hb) % 8) % 8)
    import os
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f: f.write(struct.pack('<Q', len(hb))); f.write(hb); [f.write(x) for x in bufs]
    os.replace(tmp, path)

ap = argparse.ArgumentParser()
ap.add_argument('out'); ap.add_argument('--bits', type=int, default=4); ap.add_argument('--lam', type=float, default=0.05)
ap.add_argument('--lrp', type=int, default=1); ap.add_argument('--alpha', type=float, default=0.1); ap.add_argument('--p', type=float, default=0.1)
ap.add_argument('--seed', type=int, default=4321); ap.add_argument('--batches', type=int, default=4); ap.add_argument('--batch', type=int, default=32)
ap.add_argument('--xy', default=None, help='directory with batches-x.npy/batches-y.npy to reuse')
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--replay', default=None, help='steps.safetensors whose relevance{i} replaces the LRP result (alpha must be 0)')
ap.add_argument('--lrp-state-asset', default=None, help='with --dump: also write what LRP saw (all of batch 2, the 1-D tensors of every batch) to this file')
ap.add_argument('--dump', action='store_true', help='also record per-batch relevance, model weights LRP saw, BN stats')
a = ap.parse_args()
torch.set_num_threads(a.threads)
if os.environ.get('NOMKLDNN'): torch.backends.mkldnn.enabled = False
import ecqxtools, train
from models import resnet20
os.makedirs(a.out, exist_ok=True)
n = a.batches * a.batch
if a.xy:
    x = np.load(os.path.join(a.xy, 'batches-x.npy')); y = np.load(os.path.join(a.xy, 'batches-y.npy'))
else:
    g = torch.Generator().manual_seed(a.seed)
    x = torch.randn(n, 3, 32, 32, generator=g).numpy()
    y = torch.randint(0, 10, (n,), generator=g).numpy().astype(np.int64)
    np.save(os.path.join(a.out, 'batches-x.npy'), x); np.save(os.path.join(a.out, 'batches-y.npy'), y)
torch.manual_seed(808)
model = resnet20()
model.load_state_dict(torch.load(os.path.join(REF, 'models/pretrained/resnet20.pt'), map_location='cpu'))
model.train()
params = {k: np.float32(v.numpy()) for k, v in model.state_dict().items() if v.shape != torch.Size([])}
# initialize_STE, the CUDA branch (cloned FP copies)
excl = ['downsample']
fp = [p.clone().detach().requires_grad_(True) for nm, p in model.named_parameters() if len(p.shape) > 1 and not any(e in nm for e in excl)]
opt_fp = torch.optim.Adam(fp, lr=1e-3)
optimizer = torch.optim.Adam([
    {'params': [p for nm, p in model.named_parameters() if len(p.shape) < 2 or any(e in nm for e in excl)], 'weight_decay': 5e-6},
    {'params': [p for nm, p in model.named_parameters() if len(p.shape) > 1 and not any(e in nm for e in excl)]}], lr=1e-3)
centroids, steps = ecqxtools.initialize_centroids(params, bitwidth=a.bits, device='cpu')
ini = ecqxtools.ecq(params, centroids=centroids, Lambda=a.lam, keepdims=True, device='cpu', p=a.p)
model.load_state_dict({k: torch.tensor(v) for k, v in ini.items()}, strict=False)
names = list(centroids.keys())
rec = OrderedDict((f'step0/{k}', torch.tensor(ini[k])) for k in names)
step = [0]
orig_ecq = train.ecq
def ecq_hook(fp_params, centroids, Lambda, lrp, device, p):
    step[0] += 1
    out = orig_ecq(fp_params, centroids=centroids, Lambda=Lambda, lrp=lrp, device=device, p=p)
    for k, t in zip(names, out): rec[f'step{step[0]}/{k}'] = t.detach().clone()
    if lrp:
        for k in names: rec[f'relevance{step[0]}/{k}'] = lrp[k].detach().clone()
    if a.dump:
        for k, t in zip(names, fp_params): rec[f'fp{step[0]}/{k}'] = t.detach().clone()
    return out
train.ecq = ecq_hook
replay = st_load(a.replay)[0] if a.replay else None
if a.dump:
    orig_LRP = train.LRP
    class LRPHook(orig_LRP):
        def get_relevances_weights(self):
            r = super().get_relevances_weights()
            for k in names: rec[f'batchrel{step[0]+1}/{k}'] = r[k].detach().clone()
            for k, v in self.model.state_dict().items():
                if v.shape != torch.Size([]): rec[f'lrpmodel{step[0]+1}/{k}'] = v.detach().clone()
            if a.replay:
                r = dict(r)
                for k in names: r[k] = replay[f'relevance{step[0]+1}/{k}'].clone()
            return r
    train.LRP = LRPHook
xt, yt = torch.from_numpy(x), torch.from_numpy(y)
loader = [(xt[i*a.batch:(i+1)*a.batch], yt[i*a.batch:(i+1)*a.batch]) for i in range(a.batches)]
train.train_ecqx(model, loader, 'cpu', optimizer, opt_fp=opt_fp, centroids=centroids, Lambda=a.lam, lrp=bool(a.lrp), p=a.p,
                 lrp_output='output', lrp_w_rule='epsilon', lrp_composite='epsilon_plus_flat_bn_pass', canonizer='resnet',
                 alpha=a.alpha, max_batches=None)
import json
meta = dict(bits=a.bits, **{'lambda': a.lam}, lrp=a.lrp, steps=a.batches, batch=a.batch, alpha=a.alpha, p=a.p,
            centroids=json.dumps({k: v.tolist() for k, v in centroids.items()}))
st_save(os.path.join(a.out, 'steps.safetensors'), rec, meta)
if a.lrp_state_asset:
    asset = OrderedDict()
    for k, v in rec.items():
        pre, name = k.split('/', 1)
        if pre.startswith('lrpmodel') and (pre == 'lrpmodel2' or v.dim() < 2): asset['lrp-state' + pre[len('lrpmodel'):] + '/' + name] = v
    st_save(a.lrp_state_asset, asset, {'content': 'lrp-state{i}/<name>: the state dict the reference LRP saw in batch i (eval-mode copy, after both Adam steps); every tensor for i = 2, the 1-D ones for every i'})
print('wrote', len(rec), 'tensors')
