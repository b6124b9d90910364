"""The zoo's networks in PyTorch 1.13, with @mge/models-zoo's attribute names so state dicts
line up key by key (BatchNorm's running_mean/running_var are runningMean/runningVar in ours).
Used by test/fixtures/make_fixtures.py (golden values) and by bench/ (the PyTorch and
onnxruntime peers)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def bn(c):
    # MegEngine's momentum 0.9 keeps 90 % of the running value: PyTorch's 0.1
    return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)


def shortcut(cin, cout, stride):
    if cin == cout and stride == 1:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), bn(cout))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin, c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = bn(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = bn(c)
        self.downsample = shortcut(cin, c, stride)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.downsample(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 1, bias=False)
        self.bn1 = bn(c)
        self.conv2 = nn.Conv2d(c, c, 3, stride, 1, bias=False)
        self.bn2 = bn(c)
        self.conv3 = nn.Conv2d(c, c * 4, 1, bias=False)
        self.bn3 = bn(c * 4)
        self.downsample = shortcut(cin, c * 4, stride)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        return F.relu(self.bn3(self.conv3(y)) + self.downsample(x))


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes, width, stem, in_ch=3):
        super().__init__()
        if stem == 'imagenet':
            self.conv1 = nn.Conv2d(in_ch, width, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        else:
            self.conv1 = nn.Conv2d(in_ch, width, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = bn(width)
        c = width
        stages = []
        for i, n in enumerate(layers):
            mods = []
            for j in range(n):
                mods.append(block(c, width * 2 ** i, (1 if i == 0 else 2) if j == 0 else 1))
                c = width * 2 ** i * block.expansion
            stages.append(nn.Sequential(*mods))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean((2, 3)))


class ShuffleV2Block(nn.Module):
    def __init__(self, inp, oup, mid, stride):
        super().__init__()
        self.stride = stride
        out = oup - inp
        self.branchMain = nn.Sequential(
            nn.Conv2d(inp, mid, 1, bias=False), bn(mid), nn.ReLU(),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), bn(mid),
            nn.Conv2d(mid, out, 1, bias=False), bn(out), nn.ReLU())
        if stride == 2:
            self.branchProj = nn.Sequential(
                nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False), bn(inp),
                nn.Conv2d(inp, inp, 1, bias=False), bn(inp), nn.ReLU())

    def forward(self, x):
        if self.stride == 2:
            return torch.cat([self.branchProj(x), self.branchMain(x)], 1)
        b, c, h, w = x.shape
        y = x.reshape(b * c // 2, 2, h * w).permute(1, 0, 2).reshape(2, -1, c // 2, h, w)
        return torch.cat([y[0], self.branchMain(y[1])], 1)


class ShuffleNetV2(nn.Module):
    def __init__(self, ch, repeats, num_classes):
        super().__init__()
        c = ch[0]
        self.firstConv = nn.Sequential(nn.Conv2d(3, c, 3, 2, 1, bias=False), bn(c), nn.ReLU())
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        blocks = []
        for s in range(3):
            out = ch[s + 1]
            for i in range(repeats[s]):
                blocks.append(ShuffleV2Block(c, out, out // 2, 2) if i == 0 else ShuffleV2Block(c // 2, out, out // 2, 1))
                c = out
        self.features = nn.Sequential(*blocks)
        self.convLast = nn.Sequential(nn.Conv2d(c, ch[4], 1, bias=False), bn(ch[4]), nn.ReLU())
        self.classifier = nn.Sequential(nn.Linear(ch[4], num_classes, bias=False))

    def forward(self, x):
        x = self.convLast(self.features(self.maxpool(self.firstConv(x))))
        return self.classifier(x.mean((2, 3)))


def conv_bn_relu6(i, o, k, s=1, g=1):
    return nn.Sequential(nn.Conv2d(i, o, k, s, (k - 1) // 2, groups=g, bias=False), bn(o), nn.ReLU6())


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = round(inp * t)
        self.res = stride == 1 and inp == oup
        layers = [] if t == 1 else [conv_bn_relu6(inp, hidden, 1)]
        layers += [conv_bn_relu6(hidden, hidden, 3, stride, hidden), nn.Conv2d(hidden, oup, 1, bias=False), bn(oup)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.res else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, settings, c, last, num_classes):
        super().__init__()
        layers = [conv_bn_relu6(3, c, 3, 2)]
        for t, ch, n, s in settings:
            for i in range(n):
                layers.append(InvertedResidual(c, ch, s if i == 0 else 1, t))
                c = ch
        layers.append(conv_bn_relu6(c, last, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.0), nn.Linear(last, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


class Attn(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.h
        q, k, v = self.qkv(x).reshape(b, t, 3, self.h, hd).permute(2, 0, 3, 1, 4)
        s = q @ k.transpose(-1, -2) / math.sqrt(hd)
        s = s.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float('-inf'))
        y = torch.softmax(s, -1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = Attn(d, h)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class CharGPT(nn.Module):
    def __init__(self, vocab, block, d, h, n):
        super().__init__()
        self.tokEmbedding = nn.Embedding(vocab, d)
        self.posEmbedding = nn.Embedding(block, d)
        self.blocks = nn.Sequential(*[Block(d, h) for _ in range(n)])
        self.lnF = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, ids):
        x = self.tokEmbedding(ids) + self.posEmbedding(torch.arange(ids.shape[1]))
        return self.head(self.lnF(self.blocks(x)))


def resnet(layers, block, **o):
    return ResNet(block, layers, o.get('numClasses', 1000), o.get('width', 64), o.get('stem', 'imagenet'), o.get('inChannels', 3))


def resnet18(**o):
    return resnet([2, 2, 2, 2], BasicBlock, **o)


def resnet50(**o):
    return resnet([3, 4, 6, 3], Bottleneck, **o)


SHUFFLE = {'1.0x': [24, 116, 232, 464, 1024], '0.5x': [24, 48, 96, 192, 1024]}
MOBILE = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]


def shufflenet_v2(size='1.0x', num_classes=1000):
    return ShuffleNetV2(SHUFFLE[size], [4, 8, 4], num_classes)


def mobilenet_v2(num_classes=1000):
    return MobileNetV2(MOBILE, 32, 1280, num_classes)


def load_ours(model, state):
    """Loads a {name: numpy array} dict with our names (runningMean…) into the twin."""
    own = model.state_dict()
    with torch.no_grad():
        for k, v in own.items():
            if 'num_batches_tracked' in k:
                continue
            ours = k.replace('running_mean', 'runningMean').replace('running_var', 'runningVar')
            v.copy_(torch.from_numpy(state[ours]).reshape(v.shape))
