"""Health, readiness and metrics endpoints against the real database."""



def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["database"] == "ok"


def test_readyz_reports_an_unreachable_redis(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["checks"]["redis"].startswith("error")
