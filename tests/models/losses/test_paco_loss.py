"""PaCoLoss and GPaCo: a dense reference, reductions to cross-entropy, smoothing, invariances, gradcheck, errors."""

import pytest
import torch
import torch.nn.functional as F

from mmssl_ext.models.losses import PaCoLoss
from mmssl_ext.registry import MODELS
from tests.models.losses.loss_helpers import F64, check_value_and_grads, close, close_views, gen, grads, nz, raw, unit


def ref_paco(
    features,
    labels,
    sup_logits,
    queue=None,
    queue_labels=None,
    num_classes=None,
    alpha=0.05,
    beta=1.0,
    gamma=1.0,
    supt=1.0,
    temperature=0.2,
    base_temperature=None,
    smooth=0.0,
    gpaco=False,
    class_prior=None,
):
    """``-[beta sum_c y~_c log p_c + alpha sum_{P(i)} log p_p] / (beta + alpha |P(i)|)`` per anchor, mean."""
    n = features.shape[0]
    base_temperature = temperature if base_temperature is None else base_temperature
    contrast = [features[i, 0] for i in range(n)] + [features[i, 1] for i in range(n)]
    contrast_labels = [int(y) for y in labels] * 2
    if queue is not None:
        contrast += [queue[j].detach() for j in range(queue.shape[0])]
        contrast_labels += [int(y) for y in queue_labels]
    rows = range(2 * n if gpaco else n)
    total = features.new_zeros(())
    for r in rows:
        y = contrast_labels[r]
        sup = sup_logits[r % n, r // n] if gpaco else sup_logits[r]
        if class_prior is not None:
            prior = torch.tensor(class_prior, dtype=F64)
            sup = sup + torch.log(prior / prior.sum() + 1e-9)
        logits = torch.cat([sup / supt, torch.stack([contrast[r] @ c for c in contrast]) / temperature])
        logits = logits - logits.max().detach()
        weights = [1.0] * num_classes + [0.0 if j == r else gamma for j in range(len(contrast))]
        log_den = torch.log((torch.tensor(weights, dtype=F64) * torch.exp(logits)).sum() + 1e-12)
        log_p = logits - log_den
        centre = torch.tensor(
            [(1 - smooth) if c == y else smooth / (num_classes - 1) if smooth else 0.0 for c in range(num_classes)],
            dtype=F64,
        )
        positives = [j for j in range(len(contrast)) if j != r and contrast_labels[j] == y]
        num = beta * (centre * log_p[:num_classes]).sum()
        for j in positives:
            num = num + alpha * log_p[num_classes + j]
        total = total - temperature / base_temperature * num / (beta + alpha * len(positives))
    return total / len(rows)


def paco_inputs(batch, num_classes, queue_size, gpaco, seed=0, dim=6):
    g = gen(seed)
    f = unit(batch, 2, dim, g=g)
    labels = torch.randint(0, num_classes, (batch,), generator=g)
    sup = torch.randn(*((batch, 2) if gpaco else (batch,)), num_classes, generator=g, dtype=F64)
    queue = unit(queue_size, dim, g=g) if queue_size else None
    queue_labels = torch.randint(0, num_classes, (queue_size,), generator=g) if queue_size else None
    return f, labels, sup, queue, queue_labels


PACO_CASES = [
    dict(),
    dict(alpha=0.5, beta=0.7, gamma=0.0, supt=0.5),
    dict(alpha=0.2, temperature=0.07, base_temperature=0.1, class_prior=[5, 1, 2, 8]),
    dict(gpaco=True, smooth=0.1, alpha=0.3),
    dict(gpaco=True, alpha=0.05, gamma=0.5, class_prior=[1, 1, 3, 2]),
]


@pytest.mark.parametrize('queue_size', [0, 7])
@pytest.mark.parametrize('kwargs', PACO_CASES)
def test_paco_matches_reference(kwargs, queue_size):
    f, labels, sup, queue, queue_labels = paco_inputs(6, 4, queue_size, kwargs.get('gpaco', False), seed=queue_size)
    loss = PaCoLoss(num_classes=4, loss_weight=1.3, **kwargs)
    check_value_and_grads(
        lambda x, s: loss(x, labels, s, queue, queue_labels),
        lambda x, s: 1.3 * ref_paco(x, labels, s, queue, queue_labels, num_classes=4, **kwargs),
        [f, sup],
    )


@pytest.mark.parametrize('gpaco', [False, True])
def test_paco_alpha_gamma_zero_is_cross_entropy(gpaco):
    f, labels, sup, queue, queue_labels = paco_inputs(8, 5, 6, gpaco, seed=1)
    loss = PaCoLoss(num_classes=5, alpha=0.0, gamma=0.0, supt=0.7, gpaco=gpaco)(f, labels, sup, queue, queue_labels)
    if gpaco:
        expected = F.cross_entropy(sup.transpose(0, 1).reshape(-1, 5) / 0.7, labels.repeat(2))
    else:
        expected = F.cross_entropy(sup / 0.7, labels)
    close(loss, expected)


def test_gpaco_smoothing_follows_official_code():
    # alpha = gamma = 0: the smoothed cross-entropy with 1 - s on the label and s / (C - 1) elsewhere.
    f, labels, sup, _, _ = paco_inputs(6, 5, 0, True, seed=2)
    loss = PaCoLoss(num_classes=5, alpha=0.0, gamma=0.0, smooth=0.1, gpaco=True)(f, labels, sup)
    one_hot = F.one_hot(labels.repeat(2), 5).to(F64)
    target = 0.9 * one_hot + 0.1 / 4 * (1 - one_hot)
    expected = -(target * F.log_softmax(sup.transpose(0, 1).reshape(-1, 5), 1)).sum(1).mean()
    close(loss, expected)


def test_paco_row_weights_normalise():
    # Rows are divided by beta + alpha |P(i)|: scaling alpha and beta together changes nothing.
    f, labels, sup, queue, queue_labels = paco_inputs(6, 3, 5, False, seed=3)
    a = PaCoLoss(num_classes=3, alpha=0.1, beta=1.0)(f, labels, sup, queue, queue_labels)
    b = PaCoLoss(num_classes=3, alpha=0.3, beta=3.0)(f, labels, sup, queue, queue_labels)
    c = PaCoLoss(num_classes=3, alpha=0.3, beta=1.0)(f, labels, sup, queue, queue_labels)
    close(a, b)
    assert (a - c).abs() > 1e-4


@pytest.mark.parametrize('gpaco', [False, True])
def test_paco_relabelling_invariance(gpaco):
    f, labels, sup, queue, queue_labels = paco_inputs(8, 4, 9, gpaco, seed=4)
    loss = PaCoLoss(num_classes=4, alpha=0.4, gpaco=gpaco)
    perm = torch.tensor([2, 0, 3, 1])  # class c -> perm[c]
    sup_relabelled = torch.empty_like(sup)
    sup_relabelled[..., perm] = sup
    base = loss(f, labels, sup, queue, queue_labels)
    close(loss(f, perm[labels], sup_relabelled, queue, perm[queue_labels]), base)
    # Relabelling the batch but not the queue changes the positives.
    assert (loss(f, perm[labels], sup_relabelled, queue, queue_labels) - base).abs() > 1e-4


@pytest.mark.parametrize('gpaco', [False, True])
def test_paco_batch_permutation_invariance(gpaco):
    f, labels, sup, queue, queue_labels = paco_inputs(7, 3, 5, gpaco, seed=5)
    perm = torch.randperm(7, generator=gen(5))
    loss = PaCoLoss(num_classes=3, alpha=0.3, gpaco=gpaco)
    close(loss(f[perm], labels[perm], sup[perm], queue, queue_labels), loss(f, labels, sup, queue, queue_labels))


def test_paco_class_prior_is_logit_adjustment():
    # alpha = gamma = 0 with a prior: CE(sup + log(prior / sum(prior) + 1e-9)).
    f, labels, sup, _, _ = paco_inputs(6, 4, 0, False, seed=6)
    prior = [10.0, 1.0, 4.0, 5.0]
    loss = PaCoLoss(num_classes=4, alpha=0.0, gamma=0.0, class_prior=prior)(f, labels, sup)
    adjusted = sup + torch.log(torch.tensor(prior, dtype=F64) / 20 + 1e-9)
    close(loss, F.cross_entropy(adjusted, labels))
    assert (loss - F.cross_entropy(sup, labels)).abs() > 1e-3


def test_gradcheck_paco():
    labels, queue_labels = torch.tensor([0, 1, 0]), torch.tensor([1, 0])
    queue = unit(2, 3, g=gen(1))
    for kwargs in (dict(alpha=0.5), dict(alpha=0.3, gpaco=True, smooth=0.1)):
        loss = PaCoLoss(num_classes=2, **kwargs)
        sup = raw(3, 2, 2, seed=2) if kwargs.get('gpaco') else raw(3, 2, seed=2)
        assert torch.autograd.gradcheck(
            lambda x, s, loss=loss: loss(nz(x), labels, s, queue, queue_labels), (raw(3, 2, 3), sup)
        )


def _paco_t(f):
    sup = 30 * f[:, 0, :4]
    return PaCoLoss(num_classes=4, temperature=0.01, alpha=0.5)(f[:, :2], torch.tensor([0, 1, 2, 3, 0, 1]), sup)


@pytest.mark.parametrize('fn', [_paco_t], ids=['paco'])
def test_finite_at_small_temperature_float32(fn):
    f = close_views(6, 3, 8, seed=30).requires_grad_()
    loss = fn(f)
    (grad,) = grads(loss, [f])
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss) and torch.isfinite(grad).all()


_F = unit(6, 2, 4, g=gen(40))
_Y = torch.tensor([0, 0, 1, 1, 2, 2])
_Q = unit(5, 4, g=gen(41))
_QY = torch.tensor([0, 1, 2, 0, 1])
_SUP = torch.randn(6, 3, dtype=F64)


# ids kept from the error table the losses shared before the tests were split by module
@pytest.mark.parametrize(
    'call,match',
    [
        pytest.param(lambda: PaCoLoss(num_classes=0), '`num_classes` must be >= 1', id='26:`num_classes` must be >= 1'),
        pytest.param(
            lambda: PaCoLoss(num_classes=3, smooth=1.0),
            r'`smooth` must lie in \[0, 1\)',
            id='27:`smooth` must lie in \\[0, 1\\)',
        ),
        pytest.param(
            lambda: PaCoLoss(num_classes=1, smooth=0.1), 'needs `num_classes` >= 2', id='28:needs `num_classes` >= 2'
        ),
        pytest.param(
            lambda: PaCoLoss(num_classes=3, class_prior=[1, 2]),
            '`class_prior` must have 3 entries',
            id='29:`class_prior` must have 3 entr',
        ),
        pytest.param(lambda: PaCoLoss(num_classes=3, supt=0), '`supt` must be > 0', id='30:`supt` must be > 0'),
        pytest.param(
            lambda: PaCoLoss(num_classes=3, temperature=0),
            '`temperature` must be > 0',
            id='31:`temperature` must be > 0',
        ),
        pytest.param(
            lambda: PaCoLoss(num_classes=3)(_F, None, _SUP), '`labels` is required', id='32:`labels` is required'
        ),
        pytest.param(
            lambda: PaCoLoss(num_classes=3)(_F, _Y.double(), _SUP),
            'integer class indices',
            id='33:integer class indices',
        ),
        pytest.param(
            lambda: PaCoLoss(num_classes=3)(_F, _Y, _SUP[:, :2]),
            r'`sup_logits` must be shaped \[6, 3\]',
            id='34:`sup_logits` must be shaped \\[',
        ),
        pytest.param(
            lambda: PaCoLoss(num_classes=3, gpaco=True)(_F, _Y, _SUP),
            r'`sup_logits` must be shaped \[6, 2, 3\]',
            id='35:`sup_logits` must be shaped \\[',
        ),
        pytest.param(lambda: PaCoLoss(num_classes=3)(_F, _Y, _SUP, _Q), 'go together', id='36:go together'),
        pytest.param(lambda: PaCoLoss(num_classes=3)(_F, _Y, _SUP, None, _QY), 'go together', id='37:go together'),
        pytest.param(
            lambda: PaCoLoss(num_classes=3)(_F, _Y, _SUP, _Q, _QY[:3]),
            r'`queue_labels` must be shaped \[5\]',
            id='38:`queue_labels` must be shaped ',
        ),
        pytest.param(lambda: PaCoLoss(num_classes=3)(2 * _F, _Y, _SUP), 'L2-normalised', id='39:L2-normalised'),
    ],
)
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ids kept from the registry table the losses shared before the tests were split by module
@pytest.mark.parametrize('cfg,cls', [pytest.param(dict(type='PaCoLoss', num_classes=10), PaCoLoss, id='cfg4-PaCoLoss')])
def test_registry_builds(cfg, cls):
    assert type(MODELS.build(cfg)) is cls
    assert MODELS.get(cfg['type']) is cls
