"""Run ``tools/train.py`` and SIGKILL it at a chosen point: the kill-and-resume tests' harness.

``python tests/helpers/resume_harness.py KILL CONFIG [tools/train.py arguments]`` where KILL is

* ``iter:N``: killed once ``N`` iterations are done, inside iteration ``N + 1`` (its batch loaded, before the step);
* ``save:N``: killed while writing the ``N``-th checkpoint, half of its bytes on disk (in the temporary file);
* ``none``: not killed.
"""

import os
import os.path as osp
import signal
import sys
import tempfile

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

from mmengine.hooks import Hook  # noqa: E402

import tools.train as train  # noqa: E402
from mmssl_ext.engine.fileio import AtomicLocalBackend  # noqa: E402


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _KillInIteration(Hook):
    def __init__(self, after: int) -> None:
        self.after = after

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if runner.iter == self.after:
            _die()


def _kill_in_save(n: int) -> None:
    writes = []
    real = AtomicLocalBackend._atomic_write

    def half_then_die(data: bytes, filepath: str, mode: str) -> None:
        if filepath.endswith('.pth'):
            writes.append(filepath)
            if len(writes) == n:
                fd, _ = tempfile.mkstemp(
                    prefix=f'.{osp.basename(filepath)}.', suffix='.tmp', dir=osp.dirname(osp.abspath(filepath))
                )
                os.write(fd, data[: len(data) // 2])
                os.fsync(fd)
                _die()
        real(data, filepath, mode)

    AtomicLocalBackend._atomic_write = staticmethod(half_then_die)


def main() -> None:
    kill, argv = sys.argv[1], sys.argv[2:]
    kind, _, count = kill.partition(':')
    if kind == 'iter':
        build = train.build_runner

        def build_and_arm(cfg):
            runner = build(cfg)
            runner.register_hook(_KillInIteration(int(count)), priority='LOWEST')
            return runner

        train.build_runner = build_and_arm
    elif kind == 'save':
        _kill_in_save(int(count))
    elif kind != 'none':
        raise SystemExit(f'KILL must be iter:N, save:N or none, got {kill!r}')
    train.main(argv)


if __name__ == '__main__':
    main()
