"""tools/slurm_{train,test}.sh: the srun command they build (recorded by a fake srun) and their usage errors."""

import os
import os.path as osp
import stat
import subprocess
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tests.helpers import ROOT

TRAIN = osp.join(ROOT, 'tools', 'slurm_train.sh')
TEST = osp.join(ROOT, 'tools', 'slurm_test.sh')


def _run(script: str, args: List[str], tmp_path: Path, env: Dict[str, str]) -> Tuple[subprocess.CompletedProcess, list]:
    """Run ``script`` with a fake ``srun`` first on PATH; returns the process and the argv srun received."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / 'srun_argv'
    fake = bin_dir / 'srun'
    fake.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {record}\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    full_env = dict(os.environ, PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}', **env)
    for var in ('GPUS', 'GPUS_PER_NODE', 'CPUS_PER_TASK', 'SRUN_ARGS', 'PYTHON'):
        if var not in env:
            full_env.pop(var, None)
    proc = subprocess.run(['bash', script, *args], env=full_env, capture_output=True, text=True, timeout=60)
    argv = record.read_text().splitlines() if record.exists() else []
    return proc, argv


@pytest.mark.parametrize('script', [TRAIN, TEST])
def test_scripts_are_executable(script):
    assert os.access(script, os.X_OK)


def test_slurm_train_builds_the_srun_command(tmp_path):
    args = ['gpu_part', 'simclr_job', 'configs/simclr/x.py', 'work_dirs/x', '--amp', '--cfg-options', 'a.b=1']
    env = {'GPUS': '16', 'GPUS_PER_NODE': '4', 'CPUS_PER_TASK': '3', 'SRUN_ARGS': '--quotatype=auto --exclusive'}
    proc, argv = _run(TRAIN, args, tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    command = argv.index('python')
    assert argv[:command] == [
        '-p',
        'gpu_part',
        '--job-name=simclr_job',
        '--gres=gpu:4',
        '--ntasks=16',
        '--ntasks-per-node=4',
        '--cpus-per-task=3',
        '--kill-on-bad-exit=1',
        '--quotatype=auto',
        '--exclusive',
    ]
    assert argv[command:] == [
        'python',
        '-u',
        osp.join(ROOT, 'tools', 'train.py'),
        'configs/simclr/x.py',
        '--work-dir',
        'work_dirs/x',
        '--launcher',
        'slurm',
        '--amp',
        '--cfg-options',
        'a.b=1',
    ]


def test_slurm_test_builds_the_srun_command_with_defaults(tmp_path):
    proc, argv = _run(TEST, ['part', 'eval', 'cfg.py', 'epoch_100.pth', '--out', 'm.json'], tmp_path, {'GPUS': '2'})
    assert proc.returncode == 0, proc.stderr
    assert '--gres=gpu:2' in argv and '--ntasks=2' in argv and '--ntasks-per-node=2' in argv  # min(GPUS, 8)
    assert '--cpus-per-task=5' in argv and argv[:2] == ['-p', 'part'] and '--job-name=eval' in argv
    command = argv.index('python')
    assert argv[command:] == [
        'python',
        '-u',
        osp.join(ROOT, 'tools', 'test.py'),
        'cfg.py',
        'epoch_100.pth',
        '--launcher',
        'slurm',
        '--out',
        'm.json',
    ]


def test_default_gpus_is_eight_per_node(tmp_path):
    proc, argv = _run(TRAIN, ['p', 'j', 'c.py', 'w'], tmp_path, {})
    assert proc.returncode == 0, proc.stderr
    assert '--gres=gpu:8' in argv and '--ntasks=8' in argv and '--ntasks-per-node=8' in argv


@pytest.mark.parametrize(
    'script,args,usage',
    [
        (TRAIN, ['p', 'j', 'c.py'], 'PARTITION JOB_NAME CONFIG WORK_DIR'),
        (TEST, ['p', 'j', 'c.py'], 'PARTITION JOB_NAME CONFIG CHECKPOINT'),
    ],
)
def test_missing_argument_prints_usage(tmp_path, script, args, usage):
    proc, argv = _run(script, args, tmp_path, {})
    assert proc.returncode != 0
    assert 'usage:' in proc.stderr and usage in proc.stderr
    assert argv == []  # srun never ran


def test_train_and_test_accept_the_slurm_launcher(monkeypatch):
    from tools import test as test_tool
    from tools import train as train_tool

    monkeypatch.setenv('LOCAL_RANK', '0')  # parse_args sets it when missing
    assert train_tool.parse_args(['c.py', '--work-dir', 'w', '--launcher', 'slurm']).launcher == 'slurm'
    assert test_tool.parse_args(['c.py', 'ckpt.pth', '--launcher', 'slurm']).launcher == 'slurm'
