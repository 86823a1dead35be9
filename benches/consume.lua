-- wrk script: every request spends one credit through POST /api/v1/credits/consume with an
-- API key, under an idempotency key no other request uses (run id, thread, counter), and
-- counts the answers per status so run.sh can reconcile them with the ledger.
-- Environment: TOLLGATE_KEY (the API key), BENCH_RUN (a run id; keys stay unique across runs).

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  key = os.getenv("TOLLGATE_KEY") or ""
  run = os.getenv("BENCH_RUN") or "run"
  counter = 0
  spent = 0
  refused = 0
  other = 0
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key }
end

function request()
  counter = counter + 1
  local body = string.format('{"amount":1,"idempotency_key":"%s-%d-%d","reason":"bench"}', run, id, counter)
  return wrk.format("POST", "/api/v1/credits/consume", headers, body)
end

function response(status, headers, body)
  if status == 200 then
    spent = spent + 1
  elseif status == 402 then
    refused = refused + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok, no, bad = 0, 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("spent")
    no = no + thread:get("refused")
    bad = bad + thread:get("other")
  end
  io.write(string.format("CONSUME spent=%d refused=%d other=%d\n", ok, no, bad))
end
