-- Plain PostgreSQL: history searches count rows, and bound the pages of wildcard and fuzzy searches, from
-- the (plate_no, pass_time) index alone where the visibility map marks a heap page all-visible. passages only
-- grows, so autovacuum comes by after inserts, by default once a fifth of the table is new: 2 million rows of
-- 10 million, the newest days, which searches read most. Vacuum after one hundredth instead. (TimescaleDB
-- vacuums each day's chunk on its own and compresses the older ones.)
ALTER TABLE passages SET (autovacuum_vacuum_insert_scale_factor = 0.01);
