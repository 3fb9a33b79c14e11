"""tools/misc/mmcv_wheel.py: the installer's prebuilt-mmcv lookup, against a local index server (no network)."""

import functools
import http.server
import platform
import sys
import threading

import pytest

from tools.misc.mmcv_wheel import find_wheel, index_url, main

PY = f'cp{sys.version_info[0]}{sys.version_info[1]}'
MACHINE = platform.machine()


def test_index_url_follows_openmmlab_layout():
    root = 'https://download.openmmlab.com/mmcv/dist'
    assert index_url(root, '2.1.2+cu121', '12.1') == f'{root}/cu121/torch2.1/index.html'
    assert index_url(root + '/', '2.14.1+cpu', None) == f'{root}/cpu/torch2.14/index.html'
    with pytest.raises(ValueError, match='torch_version'):
        index_url(root, 'nightly', None)


def test_find_wheel_picks_the_matching_version_python_and_machine():
    page = (
        '<a href="mmcv-2.0.1-cp311-cp311-manylinux1_x86_64.whl">a</a>'
        '<a href="mmcv-2.1.0-cp310-cp310-manylinux1_x86_64.whl">b</a>'
        '<a href="mmcv-2.1.0-cp311-cp311-manylinux1_aarch64.whl">c</a>'
        '<a href="mmcv-2.1.0-cp311-cp311-manylinux1_x86_64.whl">d</a>'
    )
    assert find_wheel(page, '2.1.0', 'cp311', 'x86_64') == 'mmcv-2.1.0-cp311-cp311-manylinux1_x86_64.whl'
    assert find_wheel(page, '2.1.0', 'cp311', 'aarch64') == 'mmcv-2.1.0-cp311-cp311-manylinux1_aarch64.whl'
    assert find_wheel(page, '2.1.0', 'cp312', 'x86_64') is None
    assert find_wheel(page, '2.2.0', 'cp311', 'x86_64') is None


@pytest.fixture
def index_server(tmp_path):
    """A local index root serving ``cpu/torch2.14/index.html`` with one fitting wheel link."""
    page = tmp_path / 'cpu' / 'torch2.14'
    page.mkdir(parents=True)
    (page / 'index.html').write_text(f'<a href="mmcv-2.1.0-{PY}-{PY}-manylinux1_{MACHINE}.whl">wheel</a>')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()


def test_main_prints_the_index_when_it_has_a_wheel(index_server, capsys):
    assert main(['--mmcv', '2.1.0', '--index-root', index_server, '--torch', '2.14.1', '--cuda', '']) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f'{index_server}/cpu/torch2.14/index.html'
    assert 'prebuilt wheel for mmcv 2.1.0' in err


def test_main_says_why_there_is_no_wheel(index_server, capsys):
    # The index page exists but lists no wheel of this version.
    assert main(['--mmcv', '9.9.9', '--index-root', index_server, '--torch', '2.14.1', '--cuda', '']) == 1
    assert 'lists none for this mmcv' in capsys.readouterr().err
    # No page for this torch/CUDA.
    assert main(['--mmcv', '2.1.0', '--index-root', index_server, '--torch', '2.14.1', '--cuda', '13.0']) == 1
    assert 'HTTP 404' in capsys.readouterr().err
    # Nothing listening at all.
    assert main(['--mmcv', '2.1.0', '--index-root', 'http://127.0.0.1:9', '--timeout', '2', '--torch', '2.1']) == 1
    err = capsys.readouterr().err
    assert 'is not reachable' in err and 'cpu/torch2.1/index.html' in err
