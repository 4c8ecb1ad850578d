-- wrk script: POST /login with the benchmark user's credentials (bench/http.sh).
wrk.method = "POST"
wrk.body = '{"username": "admin", "password": "secret"}'
wrk.headers["Content-Type"] = "application/json"
