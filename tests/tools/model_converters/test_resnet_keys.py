"""ResNet layouts without a torchvision / detectron2 counterpart fail clearly in both converters."""

import pytest
from mmpretrain.models import ResNet_CIFAR, ResNetV1c

from tests.helpers.resnet import full_checkpoint as _full_checkpoint
from tests.helpers.resnet import random_resnet as _random_resnet


@pytest.mark.parametrize(
    'cls,match',
    [(ResNet_CIFAR, 'CIFAR stem'), (ResNetV1c, 'deep-stem')],
)
def test_layouts_without_a_counterpart_fail_clearly(tmp_path, cls, match):
    from tools.model_converters.convert_to_detectron2 import main as to_d2
    from tools.model_converters.convert_to_torchvision import main as to_tv

    ckpt = _full_checkpoint(_random_resnet(cls, depth=18), tmp_path / 'full.pth')
    for convert, suffix in ((to_tv, 'pth'), (to_d2, 'pkl')):
        with pytest.raises(ValueError, match=match):
            convert([ckpt, str(tmp_path / f'out.{suffix}')])
