"""Speech-command style audio classification with a 1-D CNN (M5) and a padding ``collate_fn``.

Written in the style of PyTorch's audio classification tutorial, with the imports aliased to
convlens. The SpeechCommands download is replaced by synthetic clips: each "word" is a chirp
in its own frequency band, of random length, phase and loudness, with noise, at 8 kHz.

    python audio_cnn.py --epochs 3
"""

# ruff: noqa: UP031 - kept in the style of the torch scripts it imitates

import argparse

import numpy as np

import convlens as torch
import convlens.nn as nn
import convlens.nn.functional as F
import convlens.optim as optim
from convlens.utils.data import DataLoader, Dataset

labels = ["down", "go", "left", "no", "right", "stop"]


class SyntheticSpeechCommands(Dataset):
    """Items like torchaudio's SPEECHCOMMANDS: (waveform, sample_rate, label, speaker, n)."""

    def __init__(self, subset, size, sample_rate=8000):
        rng = np.random.default_rng({"training": 0, "testing": 1}[subset])
        self.sample_rate = sample_rate
        self.items = []
        for n in range(size):
            k = int(rng.integers(len(labels)))
            length = int(rng.integers(sample_rate // 4, sample_rate // 2))
            t = np.arange(length) / sample_rate
            f0 = 300.0 + 450.0 * k
            wave = np.sin(2 * np.pi * (f0 * t + 400.0 * t * t) + rng.uniform(0, 2 * np.pi))
            wave = rng.uniform(0.3, 1.0) * wave + rng.normal(0, 0.3, size=length)
            self.items.append((wave.astype(np.float32)[None, :], labels[k], f"spk{n % 7}", n))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, n):
        waveform, label, speaker_id, utterance_number = self.items[n]
        return torch.from_numpy(waveform), self.sample_rate, label, speaker_id, utterance_number


def label_to_index(word):
    # Return the position of the word in labels
    return torch.tensor(labels.index(word))


def index_to_label(index):
    # Return the word corresponding to the index in labels
    return labels[index]


def pad_sequence(batch):
    # Make all tensors in a batch the same length by padding with zeros
    length = max(item.shape[-1] for item in batch)
    return torch.stack([F.pad(item, (0, length - item.shape[-1])) for item in batch])


def collate_fn(batch):
    # A data tuple has the form:
    # waveform, sample_rate, label, speaker_id, utterance_number
    tensors, targets = [], []

    # Gather in lists, and encode labels as indices
    for waveform, _, label, *_ in batch:
        tensors += [waveform]
        targets += [label_to_index(label)]

    # Group the list of tensors into a batched tensor
    tensors = pad_sequence(tensors)
    targets = torch.stack(targets)

    return tensors, targets


class M5(nn.Module):
    def __init__(self, n_input=1, n_output=35, stride=16, n_channel=32):
        super().__init__()
        self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=80, stride=stride)
        self.bn1 = nn.BatchNorm1d(n_channel)
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(n_channel)
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
        self.bn3 = nn.BatchNorm1d(2 * n_channel)
        self.pool3 = nn.MaxPool1d(2)
        self.fc1 = nn.Linear(2 * n_channel, n_output)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(self.bn1(x))
        x = self.pool1(x)
        x = self.conv2(x)
        x = F.relu(self.bn2(x))
        x = self.pool2(x)
        x = self.conv3(x)
        x = F.relu(self.bn3(x))
        x = self.pool3(x)
        x = F.avg_pool1d(x, x.shape[-1])
        x = x.permute(0, 2, 1)
        x = self.fc1(x)
        return F.log_softmax(x, dim=2)


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def number_of_correct(pred, target):
    # count number of correct predictions
    return pred.squeeze().eq(target).sum().item()


def get_likely_index(tensor):
    # find most likely label index for each element in the batch
    return tensor.argmax(dim=-1)


def train(model, epoch, log_interval, train_loader, device, optimizer, losses):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data = data.to(device)
        target = target.to(device)

        output = model(data)

        # negative log-likelihood for a tensor of size (batch x 1 x n_output)
        loss = F.nll_loss(output.squeeze(), target)

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if batch_idx % log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)} "
                  f"({100. * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}")
        losses.append(loss.item())


def test(model, epoch, test_loader, device):
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data = data.to(device)
            target = target.to(device)
            output = model(data)
            pred = get_likely_index(output)
            correct += number_of_correct(pred, target)

    print(f"\nTest Epoch: {epoch}\tAccuracy: {correct}/{len(test_loader.dataset)} "
          f"({100. * correct / len(test_loader.dataset):.0f}%)\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    torch.manual_seed(0)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(device)

    train_set = SyntheticSpeechCommands("training", size=384)
    test_set = SyntheticSpeechCommands("testing", size=120)
    waveform, sample_rate, label, speaker_id, utterance_number = train_set[0]
    print(f"Shape of waveform: {tuple(waveform.size())}, sample rate: {sample_rate}")

    if device == "cuda":
        num_workers = 1
        pin_memory = True
    else:
        num_workers = 0
        pin_memory = False

    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              collate_fn=collate_fn, num_workers=num_workers,
                              pin_memory=pin_memory)
    test_loader = DataLoader(test_set, batch_size=args.batch_size, shuffle=False,
                             drop_last=False, collate_fn=collate_fn,
                             num_workers=num_workers, pin_memory=pin_memory)

    model = M5(n_input=waveform.shape[0], n_output=len(labels), n_channel=16)
    model.to(device)
    print(model)
    print("Number of parameters: %s" % count_parameters(model))

    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=0.0001)
    # reduce the learning after 20 epochs by a factor of 10
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=20, gamma=0.1)

    log_interval = 4
    losses = []
    for epoch in range(1, args.epochs + 1):
        train(model, epoch, log_interval, train_loader, device, optimizer, losses)
        test(model, epoch, test_loader, device)
        scheduler.step()


if __name__ == "__main__":
    main()
