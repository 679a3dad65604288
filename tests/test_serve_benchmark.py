"""``tools/benchmark.py serve`` on tiny settings: its table has the promised rows."""

from fer_torch.cli.benchmark import main


def test_serve_suite_reports_predict_rows_per_client_count(capsys):
    assert main(["serve", "--arch", "bn_cnn", "--clients", "1,2", "--requests", "3", "--page-seconds", "0"]) == 0
    out = capsys.readouterr().out
    rows = [line.split("|")[1:-1] for line in out.splitlines() if line.startswith("| `POST")]
    assert [r[1].strip() for r in rows] == ["1", "2"]
    assert all(float(r[2].split()[0]) > 0 and float(r[3]) > 0 for r in rows)
    assert "randomly initialised bn_cnn" in out and "| `Predictor.predict_frame` in process" in out
