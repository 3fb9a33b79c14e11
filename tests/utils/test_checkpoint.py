"""Safe checkpoint loading: MMEngine's globals allow-listed, anything else refused with a clear error."""

import collections

import pytest
import torch

from mmssl_ext.utils import MMENGINE_CHECKPOINT_GLOBALS, UnsafeCheckpointError, safe_torch_load


def pickled_globals(path):
    """Every GLOBAL the checkpoint's pickle references (read from the opcodes, nothing executed)."""
    import pickletools
    import zipfile

    with zipfile.ZipFile(path) as zf:
        data = zf.read(next(n for n in zf.namelist() if n.endswith('data.pkl')))
    found = set()
    for op, arg, _ in pickletools.genops(data):
        if op.name == 'GLOBAL':
            found.add(arg.replace(' ', '.').replace('__builtin__.', 'builtins.'))  # protocol-2 spelling
    return found


class NotAllowListed:
    def __init__(self):
        self.payload = 1


def test_checkpoint_with_a_foreign_global_is_refused(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.ones(2)}, 'meta': {'obj': NotAllowListed()}}, path)
    with pytest.raises(UnsafeCheckpointError) as info:
        safe_torch_load(path)
    msg = str(info.value)
    assert 'NotAllowListed' in msg and 'allow-list' in msg and path in msg


def test_plain_and_mmengine_objects_load(tmp_path):
    import numpy as np
    from mmengine.logging import HistoryBuffer

    buf = HistoryBuffer()
    buf.update(1.5)
    buf.update(np.float64(2.5))
    path = str(tmp_path / 'ok.pth')
    torch.save(
        {
            'state_dict': collections.OrderedDict(w=torch.ones(2)),
            'hub': {'loss': buf},
            'scalar': np.float64(3.0),
            'arr': np.arange(3),
        },
        path,
    )
    out = safe_torch_load(path)
    assert out['hub']['loss'].mean() == pytest.approx(2.0)
    assert float(out['scalar']) == 3.0 and out['arr'].tolist() == [0, 1, 2]


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        safe_torch_load(str(tmp_path / 'nope.pth'))


def test_allow_list_is_narrow():
    from mmssl_ext.utils.checkpoint import _global_name

    names = {_global_name(g) for g in MMENGINE_CHECKPOINT_GLOBALS}
    assert names == {
        'mmengine.logging.history_buffer.HistoryBuffer',
        'builtins.getattr',
        'builtins.bytes',
        'numpy._core.multiarray._reconstruct',
        'numpy._core.multiarray.scalar',
        'numpy.ndarray',
        'numpy.dtype',
        'numpy.dtypes.Float64DType',
        'numpy.dtypes.Float32DType',
        'numpy.dtypes.Int64DType',
        'numpy.dtypes.Int32DType',
        'numpy.dtypes.BoolDType',
    }


def test_getattr_is_restricted_to_history_buffer_methods(tmp_path):
    import numpy as np

    class Sneaky:
        def __reduce__(self):  # getattr(np.ndarray, 'tofile'): a file-writing method
            return (getattr, (np.ndarray, 'tofile'))

    path = str(tmp_path / 'sneaky.pth')
    torch.save({'x': Sneaky()}, path)
    with pytest.raises(UnsafeCheckpointError, match='getattr'):
        safe_torch_load(path)


def test_real_mmengine_checkpoint_needs_only_allow_listed_globals(tmp_path):
    from mmengine.runner import Runner

    from mmssl_ext.utils.checkpoint import _global_name
    from tests.helpers import smoke_cfg

    cfg = smoke_cfg('mocov2/mocov2_resnet18_1xb256-coslr-1000e_cifar10.py', tmp_path, knn=False)
    Runner.from_cfg(cfg).train()
    path = str(tmp_path / 'epoch_1.pth')
    torch_defaults = ('torch.', 'collections.OrderedDict', '_codecs.encode')  # allowed by torch itself
    needed = {g for g in pickled_globals(path) if not g.startswith(torch_defaults)}
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in needed and 'builtins.getattr' in needed
    assert needed <= {_global_name(g) for g in MMENGINE_CHECKPOINT_GLOBALS}
    ckpt = safe_torch_load(path)
    assert len(ckpt['message_hub']['log_scalars']['train/loss'].data[0]) == 2  # one loss per iteration
    assert 'queue' in ckpt['state_dict'] and 'queue_ptr' in ckpt['state_dict']
