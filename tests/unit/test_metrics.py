"""The API's and the consumers' metrics in the Prometheus text format, counters that move."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from orders.settings import Settings
from workers.consumer.metrics import ConsumerMetrics


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_the_api_counts_and_times_requests_by_route_template() -> None:
    app = create_app(Settings())  # no Temporal needed: these routes never reach it
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://a"
    ) as http:
        for _ in range(2):
            assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/no/such/page")).status_code == 404
        response = await http.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# HELP orders_api_requests_total " in text
    assert "# TYPE orders_api_request_duration_seconds histogram" in text
    found = samples(text)

    def requests(route: str, status: str) -> float:
        labels = (("method", "GET"), ("route", route), ("status", status))
        return found.get(("orders_api_requests_total", labels), 0)

    assert requests("/healthz", "200") == 2
    assert requests("unmatched", "404") == 1
    duration = (
        "orders_api_request_duration_seconds_count",
        (("method", "GET"), ("route", "/healthz")),
    )
    assert found[duration] == 2


def test_consumer_metrics_have_help_type_and_a_series_per_consumer() -> None:
    metrics = ConsumerMetrics("loyalty")
    metrics.processed.inc()
    metrics.failed.inc(2)
    metrics.dead_lettered.inc()
    metrics.lag.set(7)
    text = metrics.render().decode()
    lines = text.splitlines()
    for name, kind in (
        ("orders_consumer_events_processed", "counter"),
        ("orders_consumer_events_failed", "counter"),
        ("orders_consumer_events_dead_lettered", "counter"),
        ("orders_consumer_lag", "gauge"),
    ):
        # (counters are typed as `<name>_total` or `<name>`, depending on prometheus-client)
        assert any(line.startswith(f"# HELP {name}") for line in lines), name
        assert any(
            line.startswith(f"# TYPE {name}") and line.endswith(f" {kind}") for line in lines
        ), name
    found = samples(text)
    loyalty = (("consumer", "loyalty"),)
    assert found[("orders_consumer_events_processed_total", loyalty)] == 1
    assert found[("orders_consumer_events_failed_total", loyalty)] == 2
    assert found[("orders_consumer_events_dead_lettered_total", loyalty)] == 1
    assert found[("orders_consumer_lag", loyalty)] == 7
