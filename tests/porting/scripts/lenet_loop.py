"""LeNet-5 trained by a hand-written loop, in the style of the textbook chapters on LeNet.

No optimizer class and no trainer: the loop computes the loss, calls ``backward()`` and
updates each parameter in place under ``torch.no_grad()``. Data: the bundled MNIST sample.

    python lenet_loop.py --epochs 3
"""

import argparse
import time

import convlens as torch
from convlens import nn
from convlens.data import load_dataset  # stands in for torchvision.datasets.FashionMNIST
from convlens.utils.data import DataLoader, TensorDataset


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def init_weights(m):
    if type(m) is nn.Linear or type(m) is nn.Conv2d:
        nn.init.xavier_uniform_(m.weight)


class Accumulator:
    """Sums over n variables."""

    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def __getitem__(self, idx):
        return self.data[idx]


def accuracy(y_hat, y):
    """The number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def evaluate_accuracy(net, data_iter, device=None):
    net.eval()
    metric = Accumulator(2)  # correct predictions, predictions
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


def sgd_step(params, lr):
    """Minibatch stochastic gradient descent, written out."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad
            param.grad.zero_()


def train(net, train_iter, test_iter, num_epochs, lr, device):
    net.apply(init_weights)
    print("training on", device)
    net.to(device)
    loss = nn.CrossEntropyLoss()
    for epoch in range(num_epochs):
        start = time.time()
        metric = Accumulator(3)  # sum of loss, correct predictions, examples
        net.train()
        for X, y in train_iter:
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            sgd_step(net.parameters(), lr)
            metric.add(l * X.shape[0], accuracy(y_hat, y), X.shape[0])
        train_l, train_acc = metric[0] / metric[2], metric[1] / metric[2]
        test_acc = evaluate_accuracy(net, test_iter, device)
        print(f"epoch {epoch + 1}, loss {train_l:.3f}, train acc {train_acc:.3f}, "
              f"test acc {test_acc:.3f}, {metric[2] / (time.time() - start):.1f} examples/sec")


def load_data(batch_size, train_size):
    train_set, test_set = load_dataset("mnist-5k")
    train_data = TensorDataset(torch.tensor(train_set.x[:train_size]),
                               torch.tensor(train_set.y[:train_size]))
    test_data = TensorDataset(torch.tensor(test_set.x[:300]), torch.tensor(test_set.y[:300]))
    return (DataLoader(train_data, batch_size, shuffle=True),
            DataLoader(test_data, batch_size, shuffle=False))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--train-size", type=int, default=640)
    args = parser.parse_args()

    torch.manual_seed(0)
    net = lenet()
    X = torch.rand(size=(1, 1, 28, 28), dtype=torch.float32)
    for layer in net:
        X = layer(X)
        print(layer.__class__.__name__, "output shape: \t", tuple(X.shape))

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    train_iter, test_iter = load_data(args.batch_size, args.train_size)
    train(net, train_iter, test_iter, args.epochs, args.lr, device)


if __name__ == "__main__":
    main()
