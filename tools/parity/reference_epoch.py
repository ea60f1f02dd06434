"""One epoch end to end (docs/parity.md): runs the ECQx reference implementation (a checkout of d-becking/ECQx in $REF, not
part of this repository) with Debian's python3-torch for one epoch of quantization-aware training of the pretrained
ResNet20 on the bundled synthesized CIFAR-10 stand-in, once per seed (the seed fixes the batch order), and writes the
held-out accuracy and per-layer sparsity of each run as JSON.
Usage: /usr/bin/python3 reference_epoch.py OUT.json --mode ecqx [--bits 4] [--lam 0.05] [--seeds 1 2 3] [--batch 64]
       [--alpha 0.1] [--p 0.1] [--data data/cifar10-synthesized] [--threads 2]
       /usr/bin/python3 reference_epoch.py OUT.json --merge A.json B.json ...   (the runs of files with the same setting, in one file)
       /usr/bin/python3 reference_epoch.py CASEDIR --batches-of 1   (the epoch's batches of seed 1 as batches-x.npy/batches-y.npy,
                                                                      for reference_train_steps.py --xy CASEDIR)
Training images: the 1,024 of test_batch.bin in the seed's order (torch.randperm with torch.Generator().manual_seed(seed),
stored in the JSON so that our side trains on the same batches); held-out: the 512 of data_batch_1..5.bin. No augmentation.
Normalisation (pixel/255 - mean)/std with float32 constants 125.3/255, 123.0/255, 113.9/255 and 63.0/255, 62.1/255,
66.7/255 computed in float32, as ECQx.Data.ImageNormalization.Cifar10 does."""
import sys, os, argparse, json, time
from collections import OrderedDict
REF = os.environ.get('REF') or sys.exit('set REF to a checkout of d-becking/ECQx (commit 91ff940)')
sys.path.insert(0, REF)
import numpy as np, torch

ap = argparse.ArgumentParser()
ap.add_argument('out'); ap.add_argument('--mode', choices=['ecq', 'ecqx'])
ap.add_argument('--merge', nargs='+', help='files written by this script with the same setting: write their runs to OUT')
ap.add_argument('--batches-of', type=int, default=None, help='write the training images of this seed, in its order, to the folder OUT')
ap.add_argument('--bits', type=int, default=4); ap.add_argument('--lam', type=float, default=0.05)
ap.add_argument('--alpha', type=float, default=0.1); ap.add_argument('--p', type=float, default=0.1)
ap.add_argument('--seeds', type=int, nargs='+', default=[1, 2, 3]); ap.add_argument('--batch', type=int, default=64)
ap.add_argument('--data', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'data', 'cifar10-synthesized'))
ap.add_argument('--threads', type=int, default=2)
a = ap.parse_args()

def write_json(path, doc):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f: json.dump(doc, f, indent=1)
    os.replace(tmp, path)
    print('wrote', path)

if a.merge:
    docs = [json.load(open(f), object_pairs_hook=OrderedDict) for f in a.merge]
    setting = lambda d: {k: v for k, v in d.items() if k not in ('runs', 'threads')}
    for f, d in zip(a.merge[1:], docs[1:]):
        if setting(d) != setting(docs[0]): sys.exit(f'{f}: setting differs from {a.merge[0]}')
    merged = docs[0]; merged['runs'] = sorted((r for d in docs for r in d['runs']), key=lambda r: r['seed'])
    if len({r['seed'] for r in merged['runs']}) != len(merged['runs']): sys.exit('a seed occurs twice')
    merged['threads'] = sorted({d['threads'] for d in docs}) if len({d['threads'] for d in docs}) > 1 else docs[0]['threads']
    write_json(a.out, merged); sys.exit(0)
if not a.mode and a.batches_of is None: sys.exit('--mode is required')
torch.set_num_threads(a.threads)
if os.environ.get('NOMKLDNN'): torch.backends.mkldnn.enabled = False
import ecqxtools, train
from models import resnet20

def read_cifar(files):
    raw = np.concatenate([np.fromfile(f, dtype=np.uint8).reshape(-1, 3073) for f in files])
    return raw[:, 1:].reshape(-1, 3, 32, 32), raw[:, 0].astype(np.int64)

def normalize(pixels):
    mean = (np.array([125.3, 123.0, 113.9], np.float32) / np.float32(255)).reshape(1, 3, 1, 1)
    std = (np.array([63.0, 62.1, 66.7], np.float32) / np.float32(255)).reshape(1, 3, 1, 1)
    return torch.from_numpy((pixels.astype(np.float32) / np.float32(255) - mean) / std)

bins = os.path.join(a.data, 'cifar-10-batches-bin')
train_x, train_y = read_cifar([os.path.join(bins, 'test_batch.bin')])
test_x, test_y = read_cifar([os.path.join(bins, f'data_batch_{i}.bin') for i in range(1, 6)])
train_x, train_y, test_x, test_y = normalize(train_x), torch.from_numpy(train_y), normalize(test_x), torch.from_numpy(test_y)

if a.batches_of is not None:
    order = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(a.batches_of))
    os.makedirs(a.out, exist_ok=True)
    np.save(os.path.join(a.out, 'batches-x.npy'), train_x[order].numpy()); np.save(os.path.join(a.out, 'batches-y.npy'), train_y[order].numpy())
    print('wrote the batches of seed', a.batches_of, 'to', a.out); sys.exit(0)

def accuracy(model):
    model.eval(); correct = 0
    with torch.no_grad():
        for i in range(0, len(test_y), 256):
            correct += model(test_x[i:i+256]).argmax(1).eq(test_y[i:i+256]).sum().item()
    return correct / len(test_y)

def run(seed):
    order = torch.randperm(len(train_y), generator=torch.Generator().manual_seed(seed))
    model = resnet20()
    model.load_state_dict(torch.load(os.path.join(REF, 'models/pretrained/resnet20.pt'), map_location='cpu'))
    model.train()
    params = {k: np.float32(v.numpy()) for k, v in model.state_dict().items() if v.shape != torch.Size([])}
    # initialize_STE, the CUDA branch (cloned FP copies), as in reference_train_steps.py
    excl = ['downsample']
    quantized = lambda nm, p: len(p.shape) > 1 and not any(e in nm for e in excl)
    fp = [p.clone().detach().requires_grad_(True) for nm, p in model.named_parameters() if quantized(nm, p)]
    opt_fp = torch.optim.Adam(fp, lr=1e-3)
    optimizer = torch.optim.Adam([
        {'params': [p for nm, p in model.named_parameters() if not quantized(nm, p)], 'weight_decay': 5e-6},
        {'params': [p for nm, p in model.named_parameters() if quantized(nm, p)]}], lr=1e-3)
    centroids, _ = ecqxtools.initialize_centroids(params, bitwidth=a.bits, device='cpu')
    ini = ecqxtools.ecq(params, centroids=centroids, Lambda=a.lam, keepdims=True, device='cpu', p=a.p)
    model.load_state_dict({k: torch.tensor(v) for k, v in ini.items()}, strict=False)
    initial = accuracy(model)
    model.train()
    x, y = train_x[order], train_y[order]
    loader = [(x[i:i+a.batch], y[i:i+a.batch]) for i in range(0, len(y), a.batch)]
    start = time.time()
    train.train_ecqx(model, loader, 'cpu', optimizer, opt_fp=opt_fp, centroids=centroids, Lambda=a.lam, lrp=a.mode == 'ecqx', p=a.p,
                     lrp_output='output', lrp_w_rule='epsilon', lrp_composite='epsilon_plus_flat_bn_pass', canonizer='resnet',
                     alpha=a.alpha, max_batches=None)
    seconds = time.time() - start
    state = model.state_dict()
    sparsity = OrderedDict((k, state[k].eq(0).sum().item() / state[k].numel()) for k in centroids)
    return OrderedDict(seed=seed, initial_accuracy=initial, accuracy=accuracy(model), sparsity=sparsity,
                       train_seconds=round(seconds, 1), order=order.tolist())

runs = []
for s in a.seeds:
    r = run(s); runs.append(r)
    print(f"seed {s}: accuracy {100*r['initial_accuracy']:.2f} % after one-shot ECQ, {100*r['accuracy']:.2f} % after the epoch; "
          f"{r['train_seconds']} s", flush=True)
doc = OrderedDict(
    content='one epoch of the reference implementation (d-becking/ECQx 91ff940, tools/parity/reference_epoch.py); docs/parity.md',
    torch=torch.__version__, threads=a.threads, mode=a.mode, bits=a.bits, **{'lambda': a.lam}, alpha=a.alpha, p=a.p, batch=a.batch,
    learning_rate=1e-3, lrp='epsilon_plus_flat_bn_pass' if a.mode == 'ecqx' else None, canonizer='resnet', weight_rule='epsilon',
    train_images='test_batch.bin (1024, in each run\'s order)', test_images='data_batch_1..5.bin (512)', runs=runs)
write_json(a.out, doc)
