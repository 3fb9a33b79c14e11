"""Budget benchmark run: a 2-iteration run that writes its JSON, table and figures, and resumes."""

import json

from tools.benchmarks.budget import report, run


def test_smoke_run_writes_json_table_and_figures(tmp_path, capsys):
    out_dir, work_dir = tmp_path / 'out', tmp_path / 'wd'
    args = ['--preset', 'smoke', '--methods', 'simclr', '--seeds', '0', '--out-dir', str(out_dir)]
    args += ['--work-dir', str(work_dir), '--no-random']  # random rows: test_summary_mean_std_and_gain
    assert run.main(args) == 0  # the run itself goes to a child process, as every benchmark run
    record = json.loads((out_dir / 'smoke' / 'simclr_seed0.json').read_text())
    for key in ('config', 'preset', 'seed', 'wall_s', 'img_per_s', 'final_loss', 'knn/top1', 'knn/top5', 'linear/top1'):
        assert key in record, key
    assert record['iters'] == 2 and 0 <= record['knn/top1'] <= 100 and record['curve']['knn'][0][0] == 0
    assert record['final_loss'] > 0 and record['img_per_s'] > 0
    # resumes: a second call finds the JSON and skips the run
    capsys.readouterr()
    assert run.main(args) == 0 and capsys.readouterr().out.count(': done') == 1
    doc = tmp_path / 'benchmarks.md'
    doc.write_text('# Benchmarks\n')
    table = report.main(
        ['--preset', 'smoke', '--out-dir', str(out_dir), '--doc', str(doc), '--img-dir', str(tmp_path / 'img')]
    )
    text = doc.read_text()
    assert text.startswith('# Benchmarks\n') and '<!-- budget:smoke:start -->' in text and table in text
    assert '| simclr | 0 |' in table
    assert (tmp_path / 'img' / 'budget_smoke_curves.png').stat().st_size > 1000
    assert (tmp_path / 'img' / 'budget_smoke_bars.png').stat().st_size > 1000
    report.main(['--preset', 'smoke', '--out-dir', str(out_dir), '--doc', str(doc), '--no-plots'])
    assert doc.read_text().count('<!-- budget:smoke:start -->') == 1  # the section is replaced, not appended
