import re


def test_metrics_count_requests_per_route_and_time_them(client):
    for _ in range(3):
        client.get("/healthz")
    client.get("/does/not/exist/12345")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'kheti_http_requests_total{method="GET",route="/healthz",status="200"} 3.0' in body
    # Unknown paths are folded into one series: a scanner cannot create one per URL.
    assert 'route="<unmatched>",status="404"' in body and "12345" not in body
    count = re.search(r'kheti_http_request_duration_seconds_count\{method="GET",route="/healthz"\} (\S+)', body)
    assert count and float(count.group(1)) == 3.0
    assert 'kheti_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"}' in body
