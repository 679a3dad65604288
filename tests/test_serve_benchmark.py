"""``tools/benchmark.py serve`` on tiny settings: its table has the promised rows."""

from fer_torch.cli.benchmark import main


def test_serve_suite_reports_predict_rows_per_client_count(capsys):
    assert main(["serve", "--arch", "bn_cnn", "--clients", "1,2", "--requests", "3", "--page-seconds", "0",
                 "--attack-seconds", "0"]) == 0
    out = capsys.readouterr().out
    rows = [line.split("|")[1:-1] for line in out.splitlines() if line.startswith("| `POST")]
    assert [r[1].strip() for r in rows] == ["1", "2"]
    assert all(float(r[2].split()[0]) > 0 and float(r[3]) > 0 for r in rows)
    assert "randomly initialised bn_cnn" in out and "| `Predictor.predict_frame` in process" in out


def test_serve_suite_reports_good_users_under_attack(capsys):
    assert main(["serve", "--arch", "bn_cnn", "--clients", "1", "--requests", "2", "--page-seconds", "0",
                 "--attack-seconds", "4", "--attack-clients", "2", "--attack-rate", "4"]) == 0
    out = capsys.readouterr().out
    alone = next(line for line in out.splitlines() if line.startswith("| 1 client, good only"))
    attacked = next(line for line in out.splitlines() if line.startswith("| 2 clients, half attacks"))
    assert int(alone.split("|")[3]) == 0 and int(attacked.split("|")[3]) == 0  # no good request failed
    statuses = out.split("Attack answers", 1)[1]
    assert "20000x20000 PNG bomb (3): 413" in statuses and "cross-origin POST (5): 403" in statuses
    assert "foreign Host header (5): 400" in statuses
