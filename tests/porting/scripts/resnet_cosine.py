"""Train a small ResNet with SGD and a cosine learning-rate schedule, checkpointing the best.

Written in the style of the widely copied CIFAR-10 ResNet training scripts, with the imports
aliased to convlens. The torchvision download is replaced by synthetic CIFAR-shaped data
(ten classes of coloured, oriented textures under noise), so it runs offline.

    python resnet_cosine.py --epochs 3
    python resnet_cosine.py --epochs 1 --resume   # continue from ./checkpoint/ckpt.pth
"""

# ruff: noqa: UP031, B007, I001 - kept in the style of the torch scripts it imitates

import argparse
import os

import numpy as np

import convlens as torch
import convlens.backends.cudnn as cudnn
import convlens.nn as nn
import convlens.nn.functional as F
import convlens.optim as optim
from convlens.utils.data import DataLoader, TensorDataset


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride,
                          bias=False),
                nn.BatchNorm2d(self.expansion * planes)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        out = F.relu(out)
        return out


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10, width=8):
        super().__init__()
        self.in_planes = width

        self.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = self._make_layer(block, width, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 2 * width, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 4 * width, num_blocks[2], stride=2)
        self.linear = nn.Linear(4 * width * block.expansion, num_classes)

    def _make_layer(self, block, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for stride in strides:
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = F.avg_pool2d(out, out.size(3))
        out = out.view(out.size(0), -1)
        out = self.linear(out)
        return out


def ResNetTiny():
    return ResNet(BasicBlock, [1, 1, 1])


def synthetic_cifar(n, seed, size=16):
    """CIFAR-shaped (N, 3, size, size) textures: class k has its own colour and orientation."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, size=n)
    grid = np.arange(size)
    colours = np.random.default_rng(7).uniform(-0.6, 0.6, size=(10, 3, 1, 1))
    angles = np.linspace(0, np.pi, 10, endpoint=False)
    texture = np.stack([np.sin(0.9 * (np.cos(a) * grid[:, None] + np.sin(a) * grid[None, :]))
                        for a in angles])[:, None]
    x = colours[y] + 0.5 * texture[y] + rng.normal(0, 0.5, size=(n, 3, size, size))
    return TensorDataset(torch.tensor(x.astype(np.float32)), torch.tensor(y))


parser = argparse.ArgumentParser(description="PyTorch CIFAR10 Training")
parser.add_argument("--lr", default=0.1, type=float, help="learning rate")
parser.add_argument("--epochs", default=3, type=int, help="number of epochs")
parser.add_argument("--resume", "-r", action="store_true", help="resume from checkpoint")
args = parser.parse_args()

device = "cuda" if torch.cuda.is_available() else "cpu"
best_acc = 0  # best test accuracy
start_epoch = 0  # start from epoch 0 or last checkpoint epoch
torch.manual_seed(0)

# Data
print("==> Preparing data..")
trainset = synthetic_cifar(384, seed=0)
trainloader = DataLoader(trainset, batch_size=64, shuffle=True, num_workers=2)
testset = synthetic_cifar(128, seed=1)
testloader = DataLoader(testset, batch_size=128, shuffle=False, num_workers=2)

# Model
print("==> Building model..")
net = ResNetTiny()
net = net.to(device)
if device == "cuda":
    cudnn.benchmark = True

if args.resume:
    # Load checkpoint.
    print("==> Resuming from checkpoint..")
    assert os.path.isdir("checkpoint"), "Error: no checkpoint directory found!"
    checkpoint = torch.load("./checkpoint/ckpt.pth")
    net.load_state_dict(checkpoint["net"])
    best_acc = checkpoint["acc"]
    start_epoch = checkpoint["epoch"] + 1

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)


# Training
def train(epoch):
    print("\nEpoch: %d" % epoch)
    net.train()
    train_loss = 0
    correct = 0
    total = 0
    for batch_idx, (inputs, targets) in enumerate(trainloader):
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()

        train_loss += loss.item()
        _, predicted = outputs.max(1)
        total += targets.size(0)
        correct += predicted.eq(targets).sum().item()

    print("Train | Loss: %.3f | Acc: %.3f%% (%d/%d) | lr %.5f"
          % (train_loss / (batch_idx + 1), 100. * correct / total, correct, total,
             scheduler.get_last_lr()[0]))


def test(epoch):
    global best_acc
    net.eval()
    test_loss = 0
    correct = 0
    total = 0
    with torch.no_grad():
        for batch_idx, (inputs, targets) in enumerate(testloader):
            inputs, targets = inputs.to(device), targets.to(device)
            outputs = net(inputs)
            loss = criterion(outputs, targets)

            test_loss += loss.item()
            _, predicted = outputs.max(1)
            total += targets.size(0)
            correct += predicted.eq(targets).sum().item()

    print("Test | Loss: %.3f | Acc: %.3f%% (%d/%d)"
          % (test_loss / (batch_idx + 1), 100. * correct / total, correct, total))

    # Save checkpoint.
    acc = 100. * correct / total
    if acc > best_acc:
        print("Saving..")
        state = {
            "net": net.state_dict(),
            "acc": acc,
            "epoch": epoch,
        }
        if not os.path.isdir("checkpoint"):
            os.mkdir("checkpoint")
        torch.save(state, "./checkpoint/ckpt.pth")
        best_acc = acc


for epoch in range(start_epoch, start_epoch + args.epochs):
    train(epoch)
    test(epoch)
    scheduler.step()
