-- The DuckDB SQL reference of trafficlint's three policy rules (rules/NUV-001..003.yaml) with the
-- semantics of analyzer/detectors.py and analyzer/engine.py, so that its findings must equal
-- trafficlint's: same rule, check, client, key, count, first and last call, measurements and
-- severity. The benchmark (python -m bench run) checks that they do.
--
-- Input, set up by bench/reference.py:
--   * a view `events(ts BIGINT epoch ms, client_id, operation, http_status, error_code,
--     error_message, part_number, order_id, purchase_order_id)` (bench/duck.py);
--   * the rule parameters as variables (getvariable), taken from the rule pack's defaults.
--
-- One difference of input handling, on purpose: trafficlint orders calls with the same timestamp
-- by file and line. The benchmark data has no two calls of one client in the same millisecond
-- (bench/generate.py), and every rule groups by client, so ordering by `ts` alone is the same
-- order and this reference does not need line numbers. Times are whole milliseconds, as
-- trafficlint holds them, so a window "(t - w, t]" is the frame "w - 1 ms PRECEDING".

-- Read the file once, keeping only the rows some rule looks at.
CREATE TEMP TABLE calls AS
SELECT * FROM (
    SELECT
        ts,
        coalesce(client_id, 'default') AS client_id,
        operation, part_number, order_id, purchase_order_id,
        -- NUV-001 gap_after, NUV-003 first: no error code and not an HTTP error status.
        error_code IS NULL AND NOT coalesce(http_status >= 300, false) AS succeeded,
        coalesce(list_contains(getvariable('duplicate_codes'), error_code), false) AS duplicate,
        -- NUV-002 where: the provider said the order or product does not exist.
        coalesce(http_status = 404, false)
            OR coalesce(list_contains(getvariable('not_found_codes'), error_code), false)
            OR coalesce(regexp_matches(error_message, getvariable('not_found_pattern')), false)
            AS not_found
    FROM events
)
WHERE operation = 'checkInventory'
   OR (operation = 'submitOrder' AND purchase_order_id IS NOT NULL)
   OR not_found;

WITH
-- NUV-001 polling (cadence): a short gap is one under min_interval after a call that succeeded;
-- a run is a call followed by consecutive short gaps; runs of min_streak gaps offend.
polling_gaps AS (
    SELECT client_id, part_number, ts,
           ts - lag(ts) OVER key_order AS gap,
           coalesce(ts - lag(ts) OVER key_order < getvariable('polling_short_gap_ms'), false)
               AND coalesce(lag(succeeded) OVER key_order, false) AS short
    FROM calls
    WHERE operation = 'checkInventory'
    WINDOW key_order AS (PARTITION BY client_id, part_number ORDER BY ts)
),
polling_runs AS (
    SELECT *, sum(CASE WHEN short THEN 0 ELSE 1 END) OVER (
                  PARTITION BY client_id, part_number ORDER BY ts ROWS UNBOUNDED PRECEDING) AS run
    FROM polling_gaps
),
run_lengths AS (
    SELECT client_id, part_number, run, count_if(short) AS run_length,
           max(ts) - min(ts) AS run_span
    FROM polling_runs
    GROUP BY client_id, part_number, run
    HAVING count_if(short) >= getvariable('polling_min_streak')
),
polling AS (
    SELECT r.client_id, r.part_number, r.ts, r.gap, r.short, l.run_length, l.run_span
    FROM polling_runs AS r
    JOIN run_lengths AS l
      ON r.client_id = l.client_id AND r.part_number IS NOT DISTINCT FROM l.part_number
     AND r.run = l.run
),
-- NUV-002 (count): calls of one key with at least min_count calls in a sliding window (t - w, t]
-- offend when they lie in such a window: some qualifying call at or after them, less than w later.
repeat_rows AS (
    SELECT 'unknown-order' AS check_name, client_id, 'order_id' AS key_name, order_id AS key_value,
           ts
    FROM calls
    WHERE not_found AND operation IN ('orderStatus', 'modifyOrder', 'cancel')
    UNION ALL
    SELECT 'unknown-product', client_id, 'part_number', part_number, ts
    FROM calls
    WHERE not_found AND operation IN ('checkInventory', 'submitOrder')
),
repeat_counted AS (
    SELECT *, count(*) OVER (
                  PARTITION BY check_name, client_id, key_value ORDER BY ts
                  RANGE BETWEEN getvariable('repeat_window_ms') - 1 PRECEDING AND CURRENT ROW
              ) AS in_window
    FROM repeat_rows
),
repeats AS (
    SELECT * FROM (
        SELECT *, bool_or(in_window >= getvariable('repeat_count')) OVER (
                      PARTITION BY check_name, client_id, key_value ORDER BY ts
                      RANGE BETWEEN CURRENT ROW AND getvariable('repeat_window_ms') - 1 FOLLOWING
                  ) AS offends
        FROM repeat_counted
    )
    WHERE offends
),
stream_counted AS (
    SELECT client_id, ts, count(*) OVER (
                              PARTITION BY client_id ORDER BY ts
                              RANGE BETWEEN getvariable('stream_window_ms') - 1 PRECEDING
                                        AND CURRENT ROW
                          ) AS in_window
    FROM calls
    WHERE not_found
),
streams AS (
    SELECT * FROM (
        SELECT *, bool_or(in_window >= getvariable('stream_count')) OVER (
                      PARTITION BY client_id ORDER BY ts
                      RANGE BETWEEN CURRENT ROW AND getvariable('stream_window_ms') - 1 FOLLOWING
                  ) AS offends
        FROM stream_counted
    )
    WHERE offends
),
-- NUV-003 repeated-po (sequence): a submitOrder of a PO after an earlier submission of the same
-- PO that was accepted or refused as a duplicate.
resubmissions AS (
    SELECT * FROM (
        SELECT client_id, purchase_order_id, ts,
               ts - max(CASE WHEN succeeded OR duplicate THEN ts END) OVER (
                        PARTITION BY client_id, purchase_order_id ORDER BY ts
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS delay
        FROM calls
        WHERE operation = 'submitOrder' AND purchase_order_id IS NOT NULL
    )
    WHERE delay IS NOT NULL
),
-- Every offending call, with what its detector measures.
offending AS (
    SELECT 'NUV-001' AS rule, 'polling' AS check_name, client_id, 'part_number' AS key_name,
           part_number AS key_value, ts, run_length, run_span,
           CASE WHEN short THEN gap END AS short_gap, NULL AS in_window, NULL AS delay
    FROM polling
    UNION ALL
    SELECT 'NUV-002', check_name, client_id, key_name, key_value, ts, NULL, NULL, NULL,
           in_window, NULL
    FROM repeats
    UNION ALL
    SELECT 'NUV-002', 'not-found-stream', client_id, NULL, NULL, ts, NULL, NULL, NULL, in_window,
           NULL
    FROM streams
    UNION ALL
    SELECT 'NUV-003', 'repeated-po', client_id, 'purchase_order_id', purchase_order_id, ts, NULL,
           NULL, NULL, NULL, delay
    FROM resubmissions
),
findings AS (
    SELECT rule, check_name, client_id, key_name, key_value,
           count(*) AS calls,
           min(ts) AS first_ms,
           max(ts) AS last_ms,
           max(run_length) AS streak,
           max(run_span) / 1000::DOUBLE AS streak_span,
           median(short_gap / 1000::DOUBLE) AS median_gap,
           CASE WHEN rule = 'NUV-003' THEN count(*) ELSE max(in_window) END AS count,
           min(delay) / 1000::DOUBLE AS min_delay,
           median(delay / 1000::DOUBLE) AS median_delay
    FROM offending
    GROUP BY rule, check_name, client_id, key_name, key_value
),
-- The longest run of consecutive clock hours that each have an offending call, per finding.
hours AS (
    SELECT DISTINCT rule, check_name, client_id, key_value, ts // 3600000 AS hour
    FROM offending
),
sustained AS (
    SELECT rule, check_name, client_id, key_value, max(hours) * 3600::DOUBLE AS sustained
    FROM (
        SELECT rule, check_name, client_id, key_value, count(*) AS hours
        FROM (
            SELECT *, hour - row_number() OVER (
                              PARTITION BY rule, check_name, client_id, key_value ORDER BY hour
                          ) AS island
            FROM hours
        )
        GROUP BY rule, check_name, client_id, key_value, island
    )
    GROUP BY rule, check_name, client_id, key_value
)
SELECT f.*,
       (f.last_ms - f.first_ms) / 1000::DOUBLE AS span,
       s.sustained,
       CASE f.rule
           WHEN 'NUV-001' THEN f.streak_span >= getvariable('polling_critical_span_s')
           WHEN 'NUV-002' THEN s.sustained >= getvariable('missing_critical_sustained_s')
           WHEN 'NUV-003' THEN f.count >= getvariable('loop_count')
       END AS critical
FROM findings AS f
JOIN sustained AS s
  ON f.rule = s.rule AND f.check_name = s.check_name AND f.client_id = s.client_id
 AND f.key_value IS NOT DISTINCT FROM s.key_value
WHERE f.rule <> 'NUV-003' OR f.count >= getvariable('min_repeats')
ORDER BY f.rule, f.check_name, f.client_id, f.key_value;
