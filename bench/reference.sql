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
--
-- For speed, every key a detector groups by (client and part number, client and PO, ...) gets
-- an integer id first, so the window functions partition and sort integers, not text; the text
-- comes back only for the offending calls.

-- Read the file once, keeping only the rows some rule looks at, then file each call under the
-- key of every detector that looks at it: (check_name, client_id, key_value), with the item a
-- checking loop re-checks.
CREATE TEMP TABLE detector_calls AS
WITH calls AS MATERIALIZED (
    SELECT * FROM (
        SELECT
            ts,
            coalesce(client_id, 'default') AS client_id,
            operation, part_number, order_id, purchase_order_id,
            -- NUV-001 gap_after, NUV-003 first: no error code and not an HTTP error status.
            error_code IS NULL AND NOT coalesce(http_status >= 300, false) AS succeeded,
            coalesce(list_contains(getvariable('duplicate_codes'), error_code), false)
                AS duplicate,
            -- NUV-002 where: the provider said the order or product does not exist (the
            -- derived field not_found, as the config's `errors:` defines it).
            coalesce(list_contains(getvariable('not_found_statuses'), http_status), false)
                OR coalesce(list_contains(getvariable('not_found_codes'), error_code), false)
                OR coalesce(regexp_matches(error_message, getvariable('not_found_pattern')),
                            false)
                AS not_found
        FROM events
    )
    WHERE operation = 'checkInventory'
       OR (operation = 'submitOrder' AND purchase_order_id IS NOT NULL)
       OR not_found
)
-- NUV-001 where: checkInventory with a part number.
SELECT 'polling' AS check_name, client_id, part_number AS key_value, ts, succeeded, duplicate,
       NULL AS item
FROM calls WHERE operation = 'checkInventory' AND part_number IS NOT NULL
UNION ALL
SELECT 'checking-loop', client_id, NULL, ts, succeeded, duplicate, part_number
FROM calls WHERE operation = 'checkInventory' AND part_number IS NOT NULL AND succeeded
UNION ALL
SELECT 'unknown-order', client_id, order_id, ts, succeeded, duplicate, NULL
FROM calls WHERE not_found AND operation IN ('orderStatus', 'modifyOrder', 'cancel')
UNION ALL
SELECT 'unknown-product', client_id, part_number, ts, succeeded, duplicate, NULL
FROM calls WHERE not_found AND operation IN ('checkInventory', 'submitOrder')
UNION ALL
SELECT 'not-found-stream', client_id, NULL, ts, succeeded, duplicate, NULL
FROM calls WHERE not_found
UNION ALL
SELECT 'repeated-po', client_id, purchase_order_id, ts, succeeded, duplicate, NULL
FROM calls WHERE operation = 'submitOrder' AND purchase_order_id IS NOT NULL;

CREATE TEMP TABLE detector_keys AS
SELECT row_number() OVER () AS key_id, *
FROM (SELECT DISTINCT check_name, client_id, key_value FROM detector_calls);

CREATE TEMP TABLE keyed AS
SELECT k.key_id, k.check_name, c.ts, c.succeeded, c.duplicate, c.item
FROM detector_calls AS c
JOIN detector_keys AS k
  ON c.check_name = k.check_name AND c.client_id = k.client_id
 AND c.key_value IS NOT DISTINCT FROM k.key_value;

DROP TABLE detector_calls;

WITH
-- NUV-001 polling (cadence): a short gap is one under min_interval after a call that succeeded;
-- a run is a call followed by consecutive short gaps; runs of min_streak gaps offend.
polling_gaps AS (
    SELECT key_id, ts,
           ts - lag(ts) OVER key_order AS gap,
           coalesce(ts - lag(ts) OVER key_order < getvariable('polling_short_gap_ms'), false)
               AND coalesce(lag(succeeded) OVER key_order, false) AS short
    FROM keyed
    WHERE check_name = 'polling'
    WINDOW key_order AS (PARTITION BY key_id ORDER BY ts)
),
polling_runs AS (
    SELECT *, sum(CASE WHEN short THEN 0 ELSE 1 END) OVER (
                  PARTITION BY key_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS run
    FROM polling_gaps
),
run_lengths AS (
    SELECT key_id, run, count_if(short) AS run_length, max(ts) - min(ts) AS run_span
    FROM polling_runs
    GROUP BY key_id, run
    HAVING count_if(short) >= getvariable('polling_min_streak')
),
polling AS (
    SELECT r.key_id, r.ts, r.gap, r.short, l.run_length, l.run_span
    FROM polling_runs AS r
    JOIN run_lengths AS l ON r.key_id = l.key_id AND r.run = l.run
),
-- NUV-002 (count): calls of one key with at least min_count calls in a sliding window (t - w, t]
-- offend when they lie in such a window: some qualifying call at or after them, less than w later.
-- The repeat checks count per id in repeat_window, the stream check per client in stream_window.
count_calls AS (
    SELECT key_id, ts,
           CASE check_name WHEN 'not-found-stream' THEN getvariable('stream_window_ms')
                           ELSE getvariable('repeat_window_ms') END AS window_ms,
           CASE check_name WHEN 'not-found-stream' THEN getvariable('stream_count')
                           ELSE getvariable('repeat_count') END AS min_count
    FROM keyed
    WHERE check_name IN ('unknown-order', 'unknown-product', 'not-found-stream')
),
counted AS (
    SELECT *, count(*) OVER (
                  PARTITION BY key_id ORDER BY ts
                  RANGE BETWEEN window_ms - 1 PRECEDING AND CURRENT ROW
              ) AS in_window
    FROM count_calls
),
counts AS (
    SELECT * FROM (
        SELECT *, bool_or(in_window >= min_count) OVER (
                      PARTITION BY key_id ORDER BY ts
                      RANGE BETWEEN CURRENT ROW AND window_ms - 1 FOLLOWING
                  ) AS offends
        FROM counted
    )
    WHERE offends
),
-- NUV-001 checking-loop (count, repeat_of part_number): a re-check is a successful check of an
-- item the client checked successfully less than an hour before. A window (t - 1h, t] qualifies
-- with loop_rechecks re-checks that are loop_share of its checks; the re-checks in a qualifying
-- window offend, and the finding measures the window with the most re-checks (then the highest
-- share, then the most checks).
loop_calls AS (
    SELECT key_id, ts, item,
           coalesce(ts - lag(ts) OVER (PARTITION BY key_id, item ORDER BY ts) < 3600000, false)
               AS repeat
    FROM keyed
    WHERE check_name = 'checking-loop'
),
loop_windows AS (
    SELECT *, matched >= getvariable('loop_rechecks')
                  AND matched / sample >= getvariable('loop_share') AND matched > 0 AS qualifies
    FROM (
        SELECT *, count_if(repeat) OVER hour_before AS matched, count(*) OVER hour_before AS sample
        FROM loop_calls
        WINDOW hour_before AS (PARTITION BY key_id ORDER BY ts
                               RANGE BETWEEN 3600000 - 1 PRECEDING AND CURRENT ROW)
    )
),
loop_rechecks AS (
    SELECT key_id, ts, item FROM (
        SELECT *, bool_or(qualifies) OVER (
                      PARTITION BY key_id ORDER BY ts
                      RANGE BETWEEN CURRENT ROW AND 3600000 - 1 FOLLOWING
                  ) AS in_qualifying
        FROM loop_windows
    )
    WHERE in_qualifying AND repeat
),
-- A loop goes round several items (only_if items >= 2); one item again and again is polling.
-- ... within one stretch of re-checks (a stretch ends an hour or more before the next).
loop_stretches AS (
    SELECT key_id, item,
           sum(CASE WHEN previous IS NULL OR ts - previous >= 3600000 THEN 1 ELSE 0 END)
               OVER (PARTITION BY key_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS stretch
    FROM (SELECT *, lag(ts) OVER (PARTITION BY key_id ORDER BY ts) AS previous
          FROM loop_rechecks)
),
loop_items AS (
    SELECT key_id, max(items) AS items
    FROM (SELECT key_id, stretch, count(DISTINCT item) AS items FROM loop_stretches
          GROUP BY key_id, stretch)
    GROUP BY key_id HAVING max(items) >= 2
),
loops AS (
    SELECT key_id, ts FROM loop_rechecks WHERE key_id IN (SELECT key_id FROM loop_items)
),
loop_worst AS (
    SELECT key_id,
           first(matched ORDER BY matched DESC, matched / sample DESC, sample DESC) AS loop_count,
           first(sample ORDER BY matched DESC, matched / sample DESC, sample DESC) AS loop_sample,
           first(matched / sample ORDER BY matched DESC, matched / sample DESC, sample DESC)
               AS loop_share
    FROM loop_windows
    WHERE qualifies
    GROUP BY key_id
),
-- NUV-003 repeated-po (sequence): a submitOrder of a PO after an earlier submission of the same
-- PO that was accepted or refused as a duplicate.
resubmissions AS (
    SELECT * FROM (
        SELECT key_id, ts,
               ts - max(CASE WHEN succeeded OR duplicate THEN ts END) OVER (
                        PARTITION BY key_id ORDER BY ts
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS delay
        FROM keyed
        WHERE check_name = 'repeated-po'
    )
    WHERE delay IS NOT NULL
),
-- Every offending call, with what its detector measures.
offending AS (
    SELECT key_id, ts, run_length, run_span, CASE WHEN short THEN gap END AS short_gap,
           NULL AS in_window, NULL AS delay
    FROM polling
    UNION ALL
    SELECT key_id, ts, NULL, NULL, NULL, in_window, NULL FROM counts
    UNION ALL
    SELECT key_id, ts, NULL, NULL, NULL, NULL, delay FROM resubmissions
    UNION ALL
    SELECT key_id, ts, NULL, NULL, NULL, NULL, NULL FROM loops
),
findings AS (
    SELECT key_id,
           count(*) AS calls,
           min(ts) AS first_ms,
           max(ts) AS last_ms,
           max(run_length) AS streak,
           max(run_span) / 1000::DOUBLE AS streak_span,
           median(short_gap / 1000::DOUBLE) AS median_gap,
           max(in_window) AS window_count,
           min(delay) / 1000::DOUBLE AS min_delay,
           median(delay / 1000::DOUBLE) AS median_delay
    FROM offending
    GROUP BY key_id
),
-- How long the offending calls went on without a clock hour free of them: split them into
-- islands of consecutive clock hours, take each island's first to last call, keep the longest.
hours AS (
    SELECT DISTINCT key_id, ts // 3600000 AS hour FROM offending
),
islands AS (
    SELECT key_id, hour, hour - row_number() OVER (PARTITION BY key_id ORDER BY hour) AS island
    FROM hours
),
sustained AS (
    SELECT key_id, max(run_span) / 1000::DOUBLE AS sustained
    FROM (
        SELECT o.key_id, i.island, max(o.ts) - min(o.ts) AS run_span
        FROM offending AS o
        JOIN islands AS i ON o.key_id = i.key_id AND o.ts // 3600000 = i.hour
        GROUP BY o.key_id, i.island
    )
    GROUP BY key_id
),
described AS (
    SELECT CASE k.check_name
               WHEN 'polling' THEN 'NUV-001'
               WHEN 'checking-loop' THEN 'NUV-001'
               WHEN 'repeated-po' THEN 'NUV-003'
               ELSE 'NUV-002'
           END AS rule,
           k.check_name, k.client_id,
           CASE k.check_name
               WHEN 'polling' THEN 'part_number'
               WHEN 'unknown-order' THEN 'order_id'
               WHEN 'unknown-product' THEN 'part_number'
               WHEN 'repeated-po' THEN 'purchase_order_id'
           END AS key_name,
           k.key_value,
           f.* EXCLUDE (key_id, window_count),
           CASE k.check_name
               WHEN 'repeated-po' THEN f.calls
               WHEN 'checking-loop' THEN w.loop_count
               ELSE f.window_count
           END AS count,
           w.loop_sample, w.loop_share, li.items,
           (f.last_ms - f.first_ms) / 1000::DOUBLE AS span,
           s.sustained
    FROM findings AS f
    JOIN sustained AS s USING (key_id)
    JOIN detector_keys AS k USING (key_id)
    LEFT JOIN loop_worst AS w USING (key_id)
    LEFT JOIN loop_items AS li USING (key_id)
)
SELECT *,
       CASE
           WHEN check_name = 'polling'
               THEN streak_span >= getvariable('polling_critical_span_s')
           WHEN check_name = 'checking-loop'
               THEN sustained >= getvariable('polling_critical_span_s')
           WHEN rule = 'NUV-002' THEN sustained >= getvariable('missing_critical_sustained_s')
           WHEN rule = 'NUV-003' THEN count >= getvariable('loop_count')
       END AS critical
FROM described
WHERE rule <> 'NUV-003' OR count >= getvariable('min_repeats')
ORDER BY rule, check_name, client_id, key_value;
