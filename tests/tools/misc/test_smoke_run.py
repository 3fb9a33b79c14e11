"""tools/misc/smoke_run.py from the command line: a temporary work dir is removed, a given one is kept."""

import os.path as osp

from tests.helpers import ROOT


def test_smoke_cli_removes_its_temporary_work_dir(tmp_path, monkeypatch, capsys):
    import tempfile

    from tools.misc import smoke_run

    scratch = tmp_path / 'tmp'
    scratch.mkdir()
    monkeypatch.setattr(tempfile, 'tempdir', str(scratch))  # every temporary dir of the run lands here
    config = osp.join(ROOT, 'configs', 'simclr', 'simclr_resnet18_1xb64-coslr-20e_digits.py')
    assert smoke_run.main([config, '--img-size', '16']) == 0
    out = capsys.readouterr().out
    assert 'smoke run OK' in out
    used = out.split('work_dir ')[-1].split()[0]
    assert osp.dirname(used) == str(scratch) and osp.basename(used).startswith('smoke_')
    assert not osp.exists(used)  # the checkpoint was written there, then removed
    assert not list(scratch.glob('smoke_*'))

    kept = tmp_path / 'kept'
    assert smoke_run.main([config, '--img-size', '16', '--work-dir', str(kept)]) == 0
    assert (kept / 'epoch_1.pth').is_file()  # a given --work-dir is the user's: kept
