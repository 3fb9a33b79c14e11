"""CLSARandAugment: op parameters, per-op outputs, BGR handling, draws and randomness vs the official CLSA code."""

import collections

import numpy as np
import pytest
from mmcv.transforms import Compose
from PIL import Image, ImageEnhance, ImageOps

from mmssl_ext.datasets.transforms import clsa_randaugment as cra
from mmssl_ext.datasets.transforms.clsa_randaugment import CLSA_OPS, OP_NAMES, CLSARandAugment, op_parameter
from mmssl_ext.registry import TRANSFORMS

V = range(1, 10)
ENHANCE = ('Brightness', 'Color', 'Contrast', 'Sharpness')


def rgb_image(h=24, w=32, seed=0):
    return np.random.RandomState(seed).randint(0, 256, (h, w, 3), dtype=np.uint8)


def run(img, **kwargs):
    return CLSARandAugment(**kwargs).transform({'img': img.copy()})['img']


# --- op parameters (official fixmatch_augment_pool, v = 1..9) -------------------------------------------------


def test_op_names_are_the_fixmatch_pool():
    assert OP_NAMES == (
        'AutoContrast', 'Brightness', 'Color', 'Contrast', 'Equalize', 'Identity', 'Posterize',
        'Rotate', 'Sharpness', 'ShearX', 'ShearY', 'Solarize', 'TranslateX', 'TranslateY',
    )  # fmt: skip
    assert 'Invert' not in OP_NAMES and 'Cutout' not in OP_NAMES


@pytest.mark.parametrize('name', ENHANCE)
def test_enhance_factor(name):
    factors = [op_parameter(name, v) for v in V]
    assert factors == pytest.approx([0.09 * v + 0.05 for v in V])
    assert factors[0] == pytest.approx(0.14) and factors[-1] == pytest.approx(0.86)


def test_int_and_shift_parameters():
    assert [op_parameter('Posterize', v) for v in V] == [4, 4, 5, 5, 6, 6, 6, 7, 7]
    assert [op_parameter('Rotate', v) for v in V] == [3, 6, 9, 12, 15, 18, 21, 24, 27]
    assert [op_parameter('Solarize', v) for v in V] == [231, 205, 180, 154, 128, 103, 77, 52, 26]
    for name in ('ShearX', 'ShearY', 'TranslateX', 'TranslateY'):
        assert [op_parameter(name, v) for v in V] == pytest.approx([0.03 * v for v in V])
    for name in ('AutoContrast', 'Equalize', 'Identity'):
        assert op_parameter(name, 5) is None
    with pytest.raises(ValueError, match='Invert'):
        op_parameter('Invert', 1)


# --- per-op outputs ----------------------------------------------------------------------------------------------


def apply(name, arr, param):
    return np.asarray(CLSA_OPS[name](Image.fromarray(arr), param))


def test_identity_solarize_posterize():
    x = rgb_image()
    assert np.array_equal(apply('Identity', x, None), x)
    for t in (26, 128, 231):
        assert np.array_equal(apply('Solarize', x, t), np.where(x >= t, 255 - x, x))
    for bits in (4, 5, 6, 7):
        assert np.array_equal(apply('Posterize', x, bits), x & (0xFF << (8 - bits) & 0xFF))


def test_brightness_scales_towards_black():
    x = rgb_image()
    for f in (0.14, 0.5, 0.86):
        out = apply('Brightness', x, f).astype(float)
        assert np.all(np.abs(out - x * f) < 1.0)


def test_equalize_autocontrast():
    x = rgb_image()
    for name, ref in (('Equalize', ImageOps.equalize), ('AutoContrast', ImageOps.autocontrast)):
        assert np.array_equal(apply(name, x, None), np.asarray(ref(Image.fromarray(x))))
    narrow = np.tile(np.linspace(50, 100, 32).astype(np.uint8), (8, 1))  # grayscale 50..100
    out = apply('AutoContrast', narrow, None)
    assert out.min() == 0 and out.max() >= 250  # stretched to the full range (PIL truncates the top)


def test_translate():
    x = rgb_image(16, 100)
    d = int(0.15 * 100)
    out = apply('TranslateX', x, 0.15)  # positive: content moves left, black enters on the right
    assert np.array_equal(out[:, : 100 - d], x[:, d:]) and not out[:, 100 - d :].any()
    out = apply('TranslateX', x, -0.15)
    assert np.array_equal(out[:, d:], x[:, : 100 - d]) and not out[:, :d].any()
    y = rgb_image(100, 16)
    out = apply('TranslateY', y, 0.25)
    assert np.array_equal(out[:75], y[25:]) and not out[75:].any()


def test_shear_is_anchored_top_left():
    x = np.full((32, 32, 3), 200, np.uint8)
    out = apply('ShearX', x, 0.27)
    assert (out[0] == 200).all()  # the top row does not move
    assert (out[31, :20] == 200).all() and not out[31, 26:].any()
    out = apply('ShearX', x, -0.27)
    assert (out[0] == 200).all() and (out[31, 12:] == 200).all() and not out[31, :6].any()
    out = apply('ShearY', x, 0.27)
    assert (out[:, 0] == 200).all() and (out[:20, 31] == 200).all() and not out[26:, 31].any()


def test_rotate():
    x = np.full((32, 32, 3), 200, np.uint8)
    out = apply('Rotate', x, 27)
    assert (out[8:24, 8:24] == 200).all() and not out[0, 0].any() and not out[31, 31].any()
    marker = np.zeros((33, 33), np.uint8)
    marker[16, 28:31] = 255  # right of the centre
    ys, _ = np.nonzero(apply('Rotate', marker, 27))
    assert ys.mean() < 14  # positive angles turn counter-clockwise: the marker moves up


# --- the transform -----------------------------------------------------------------------------------------------


def test_bgr_order_with_color_op():
    bgr = np.zeros((8, 8, 3), np.uint8)
    bgr[..., 0] = 255  # pure blue in BGR
    rgb = bgr[..., ::-1].copy()

    def colour(arr, f):
        return np.asarray(ImageEnhance.Color(Image.fromarray(arr)).enhance(f))

    right = [colour(rgb, op_parameter('Color', v))[..., ::-1] for v in V]
    wrong = [colour(bgr, op_parameter('Color', v)) for v in V]  # BGR fed to PIL as if RGB
    for seed in range(5):
        np.random.seed(seed)
        out = run(bgr, num_ops=1, prob=1.0, ops=['Color'])
        assert sum(np.array_equal(out, r) for r in right) == 1
        assert not any(np.array_equal(out, w) for w in wrong)
        assert (out[..., 0] > out[..., 2]).all()  # still bluish


def test_grayscale_and_shape():
    gray = rgb_image()[..., 0].copy()
    np.random.seed(0)
    res = CLSARandAugment(prob=1.0).transform({'img': gray})
    assert res['img'].shape == gray.shape and res['img'].dtype == np.uint8 and res['img_shape'] == (24, 32)
    with pytest.raises(ValueError, match='uint8'):
        CLSARandAugment().transform({'img': gray.astype(np.float32)})


def test_magnitude_draws_are_one_to_nine():
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    thresholds = set()
    for seed in range(150):
        np.random.seed(seed)
        out = run(ramp, num_ops=1, prob=1.0, ops=['Solarize'])
        thresholds.add(int(ramp[out != ramp].min()))
    assert thresholds == {256 - int(25.6 * v) for v in V}


def test_signs_and_shifts_of_translate():
    x = np.zeros((4, 100), np.uint8)
    x[:, 50] = 255
    shifts = set()
    for seed in range(300):
        np.random.seed(seed)
        shifts.add(50 - int(np.nonzero(run(x, num_ops=1, prob=1.0, ops=['TranslateX'])[0])[0][0]))
    # int() of the float 0.03 v * 100 as in the official code; 0.27 * 100 is 26.999... there, hence 26
    expected = {int(float(v) * 0.3 / 10 * 100) for v in V}
    assert shifts == expected | {-s for s in expected}


def test_determinism():
    x = rgb_image(32, 32)
    outs = []
    for seed in (0, 0, 1, 2, 3):
        np.random.seed(seed)
        outs.append(run(x))
    assert np.array_equal(outs[0], outs[1])
    assert any(not np.array_equal(outs[0], o) for o in outs[2:])


def test_identity_pool_is_identity():
    x = rgb_image()
    np.random.seed(0)
    assert np.array_equal(run(x, prob=1.0, ops=['Identity']), x)


@pytest.fixture
def counter(monkeypatch):
    calls = collections.Counter()
    for name in OP_NAMES:

        def wrapped(img, param, _name=name, _op=CLSA_OPS[name]):
            calls[_name] += 1
            return _op(img, param)

        monkeypatch.setitem(CLSA_OPS, name, wrapped)
    return calls


def test_number_of_ops_applied(counter):
    x = rgb_image(16, 16)
    np.random.seed(0)
    t = CLSARandAugment(num_ops=5, prob=1.0)
    for _ in range(3):
        before = sum(counter.values())
        t.transform({'img': x.copy()})
        assert sum(counter.values()) - before == 5
    counter.clear()
    t = CLSARandAugment(num_ops=5, prob=0.5)
    for _ in range(200):
        t.transform({'img': x.copy()})
    assert 420 <= sum(counter.values()) <= 580  # Binomial(1000, 0.5): mean 500, sd 15.8
    counter.clear()
    CLSARandAugment(num_ops=0, prob=1.0).transform({'img': x.copy()})
    assert not counter


def test_picks_uniform_with_replacement(counter):
    x = rgb_image(8, 8)
    np.random.seed(1)
    t = CLSARandAugment(num_ops=5, prob=1.0)
    repeated = 0
    for _ in range(300):
        counter_before = collections.Counter(counter)
        t.transform({'img': x.copy()})
        repeated += max((counter - counter_before).values()) > 1
    assert repeated > 50  # P(no repeat among 5 of 14) = 0.45
    assert set(counter) == set(OP_NAMES)
    assert all(70 <= counter[n] <= 150 for n in OP_NAMES)  # 1500 picks / 14 = 107 each
    with_two = CLSARandAugment(num_ops=5, prob=1.0, ops=['Identity', 'Equalize'])
    counter.clear()
    with_two.transform({'img': x.copy()})
    assert sum(counter.values()) == 5


def test_config_build_and_compose():
    t = TRANSFORMS.build(dict(type='CLSARandAugment'))
    assert isinstance(t, CLSARandAugment)
    assert (t.num_ops, t.magnitude_max, t.prob, t.ops) == (5, 10, 0.5, OP_NAMES)
    assert 'num_ops=5' in repr(t)
    pipeline = Compose([t, TRANSFORMS.build(dict(type='PackInputs'))])
    np.random.seed(0)
    out = pipeline({'img': rgb_image(32, 32)})
    assert tuple(out['inputs'].shape) == (3, 32, 32)
    assert cra.CLSARandAugment is TRANSFORMS.get('CLSARandAugment')


@pytest.mark.parametrize(
    'kwargs, field',
    [
        (dict(num_ops=-1), 'num_ops'),
        (dict(num_ops=2.0), 'num_ops'),
        (dict(magnitude_max=1), 'magnitude_max'),
        (dict(magnitude_max=11), 'magnitude_max'),
        (dict(prob=1.5), 'prob'),
        (dict(ops=['Invert']), 'ops'),
        (dict(ops=[]), 'ops'),
        (dict(ops='Identity'), 'ops'),
    ],
)
def test_bad_args(kwargs, field):
    with pytest.raises(ValueError, match=field):
        TRANSFORMS.build(dict(type='CLSARandAugment', **kwargs))
