-- Registry plates as one key per plate. A key keeps the boundary between series and number
-- (29F-67130, 29F6-7130); a key without one was written run together and reads both ways
-- (29F67130), its vehicle type not saying which (moped, e-bike, other). Such a record holds the
-- plate of the one record whose key spells the same letters and digits, when there is one:
-- it then keys as that plate (a copy of it is a duplicate, a submission of either reading
-- links to it); otherwise it keeps the key read both ways.
CREATE OR REPLACE TEMP TABLE reg_plate_settled AS
WITH both_ways AS (
    SELECT record_id, plate_key AS run FROM reg_veh WHERE NOT contains(plate_key, '-')
), spelled AS (
    SELECT replace(plate_key, '-', '') AS run, min(plate_key) AS k
    FROM reg_veh
    WHERE contains(plate_key, '-') AND replace(plate_key, '-', '') IN (SELECT run FROM both_ways)
    GROUP BY ALL HAVING count(DISTINCT plate_key) = 1
)
SELECT b.record_id, s.k FROM both_ways b JOIN spelled s USING (run);

CREATE OR REPLACE TEMP VIEW reg_veh_plate AS
SELECT r.record_id, r.unit_code, coalesce(s.k, r.plate_key) AS plate_key, r.chassis_key
FROM reg_veh r LEFT JOIN reg_plate_settled s USING (record_id);
