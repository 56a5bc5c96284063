"""Training a classifier, in the style of PyTorch's CIFAR-10 tutorial ("cifar10_tutorial").

The imports are aliased to convlens. Instead of downloading CIFAR-10 through torchvision, the
script draws a CIFAR-shaped stand-in: 32x32 colour images of ten classes, each class a
different colour and stripe pattern under heavy noise, so that there is something to learn.

    python cifar_tutorial.py --epochs 2
"""

import argparse

import numpy as np

import convlens as torch
import convlens.nn as nn
import convlens.nn.functional as F
import convlens.optim as optim
from convlens.utils.data import DataLoader, Dataset

classes = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


class FakeCIFAR10(Dataset):
    """CIFAR-10's interface (``(image, label)`` pairs, ``classes``) on synthetic images."""

    def __init__(self, train=True, size=600, transform=None):
        rng = np.random.default_rng(0 if train else 1)
        self.classes = list(classes)
        self.targets = rng.integers(0, 10, size=size).tolist()
        colours = np.random.default_rng(42).uniform(0.2, 0.8, size=(10, 3, 1, 1))
        rows = np.arange(32).reshape(1, 32, 1)
        stripes = [(np.sin(rows * (k % 5 + 1) * 0.4 + np.arange(32) * (k // 5) * 0.4) + 1) / 4
                   for k in range(10)]
        self.data = np.stack([colours[k] + stripes[k] for k in self.targets])
        self.data += rng.normal(0, 0.25, size=self.data.shape)
        self.data = np.clip(self.data, 0, 1).astype(np.float32)
        self.transform = transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        return img, target


def to_normalized_tensor(img):
    """transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])"""
    return (torch.from_numpy(img) - 0.5) / 0.5


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()

    torch.manual_seed(0)
    trainset = FakeCIFAR10(train=True, transform=to_normalized_tensor)
    trainloader = DataLoader(trainset, batch_size=args.batch_size, shuffle=True, num_workers=2)
    testset = FakeCIFAR10(train=False, size=200, transform=to_normalized_tensor)
    testloader = DataLoader(testset, batch_size=args.batch_size, shuffle=False, num_workers=2)

    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

    for epoch in range(args.epochs):  # loop over the dataset multiple times
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            # get the inputs; data is a list of [inputs, labels]
            inputs, labels = data

            # zero the parameter gradients
            optimizer.zero_grad()

            # forward + backward + optimize
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()

            # print statistics
            running_loss += loss.item()
            if i % 25 == 24:  # print every 25 mini-batches
                print(f"[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 25:.3f}")
                running_loss = 0.0

    print("Finished Training")

    PATH = "./cifar_net.pth"
    torch.save(net.state_dict(), PATH)

    dataiter = iter(testloader)
    images, labels = next(dataiter)
    print("GroundTruth: ", " ".join(f"{classes[labels[j]]:5s}" for j in range(4)))

    net = Net()
    net.load_state_dict(torch.load(PATH, weights_only=True))

    outputs = net(images)
    _, predicted = torch.max(outputs, 1)
    print("Predicted: ", " ".join(f"{classes[predicted[j]]:5s}" for j in range(4)))

    correct = 0
    total = 0
    # since we're not training, we don't need to calculate the gradients for our outputs
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            # calculate outputs by running images through the network
            outputs = net(images)
            # the class with the highest energy is what we choose as prediction
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()

    print(f"Accuracy of the network on the {total} test images: {100 * correct // total} %")

    # prepare to count predictions for each class
    correct_pred = {classname: 0 for classname in classes}
    total_pred = {classname: 0 for classname in classes}

    # again no gradients needed
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            outputs = net(images)
            _, predictions = torch.max(outputs, 1)
            # collect the correct predictions for each class
            for label, prediction in zip(labels, predictions):
                if label == prediction:
                    correct_pred[classes[label]] += 1
                total_pred[classes[label]] += 1

    # print accuracy for each class
    for classname, correct_count in correct_pred.items():
        accuracy = 100 * float(correct_count) / total_pred[classname]
        print(f"Accuracy for class: {classname:5s} is {accuracy:.1f} %")


if __name__ == "__main__":
    main()
