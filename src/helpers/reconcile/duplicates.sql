CREATE OR REPLACE TEMP TABLE {table}_holders AS
WITH keyed AS ({keyed}),
shared AS (SELECT key_no, hash(k) AS h FROM keyed GROUP BY ALL HAVING count(*) > 1),
candidates AS (
    SELECT c.* FROM keyed c SEMI JOIN shared s ON c.key_no = s.key_no AND hash(c.k) = s.h
), counted AS (
    SELECT *, min(record_id) OVER w AS first_id, count(*) OVER w AS n_holders
    FROM candidates WINDOW w AS (PARTITION BY key_no, k)
)
SELECT * FROM counted WHERE n_holders > 1;

CREATE OR REPLACE TEMP TABLE {table}_dup AS
SELECT DISTINCT record_id FROM {table}_holders WHERE record_id <> first_id;
