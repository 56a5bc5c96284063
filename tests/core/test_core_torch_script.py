"""A hand-written training loop in the idioms of PyTorch's examples, run with aliased imports."""

import convlens as torch  # the alias a ported script uses
import convlens.functional as F
import convlens.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = torch.flatten(x, 1)
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def _weights_init(m):
    if isinstance(m, nn.Linear):
        m.weight.data.normal_(0.0, 0.5)
        m.bias.data.fill_(0)


def test_a_torch_style_loop_trains_with_only_its_imports_aliased():
    torch.manual_seed(1)
    use_cuda = torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")
    torch.backends.cudnn.deterministic = True
    centres = torch.randn(3, 4) * 3
    target = torch.randint(0, 3, (96,))
    data = centres[target] + torch.randn(96, 4) * 0.5
    model = Net().to(device)
    model.apply(_weights_init)
    params = list(model.parameters())
    losses = []
    for _epoch in range(30):
        model.train()
        for batch in range(3):
            x = data[batch * 32:(batch + 1) * 32].to(device)
            y = target[batch * 32:(batch + 1) * 32].to(device)
            output = model(x)
            loss = F.nll_loss(output, y)
            for p in params:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p.add_(p.grad, alpha=-0.1)
        losses.append(loss.item())
    model.eval()
    correct = 0
    with torch.no_grad():
        output = model(data)
        pred = output.data.max(1, keepdim=True)[1]
        correct += pred.eq(target.data.view_as(pred)).cpu().sum().item()
        _, predicted = torch.max(output, 1)
        assert (predicted == target).sum().item() == correct
    accuracy = 100.0 * correct / len(data)
    assert f"{loss:.4f}" == f"{losses[-1]:.4f}"
    assert accuracy > 90 and losses[-1] < losses[0] / 3, (accuracy, losses[::10])
