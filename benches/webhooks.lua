-- wrk script: delivers a file of pre-signed Stripe webhooks (benches/webhook_events.py), each
-- line once, split across wrk's threads; a thread stops when its share is sent. Counts the
-- answers by status so run.sh can compare them with what the database stored. Run it with
-- one connection per thread (-t N -c N): a thread stops as soon as its share is answered.
-- Environment: EVENTS_FILE (thread N reads EVENTS_FILE.N, N from 1 to wrk's -t).

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  -- Each thread reads only its own share, split beforehand into EVENTS_FILE.<thread id>: a
  -- thread parsing the whole file would still be reading while the others already deliver.
  for line in io.lines(os.getenv("EVENTS_FILE") .. "." .. id) do
    local tab = line:find("\t", 1, true)
    local headers = { ["Content-Type"] = "application/json", ["Stripe-Signature"] = line:sub(1, tab - 1) }
    requests[#requests + 1] = wrk.format("POST", "/webhooks/stripe", headers, line:sub(tab + 1))
  end
  sent = 0
  -- wrk calls the first thread's request() once before the run, to check the script; that
  -- call must not use up a delivery.
  checked = id ~= 1
  ok = 0
  failed = 0
end

function request()
  if not checked then
    checked = true
    return requests[1]
  end
  sent = sent + 1
  if sent > #requests then
    -- Every delivery of this thread's share is out. A request must still be returned; it is a
    -- redelivery of the last event, which the server answers as a duplicate.
    wrk.thread:stop()
    return requests[#requests]
  end
  return requests[sent]
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local good, bad = 0, 0
  for _, thread in ipairs(threads) do
    good = good + thread:get("ok")
    bad = bad + thread:get("failed")
  end
  io.write(string.format("WEBHOOKS ok=%d failed=%d\n", good, bad))
end
