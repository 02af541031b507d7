-- 0005: RESERVED, NOT A MIGRATION. Placeholder in branch h-refusal only, so that
-- 0006_device_suspensions.sql keeps the number it was given while the migrations
-- 0003..0005 of the other issue-12 branches are not merged yet (embed_schema.cmake
-- refuses gaps). Delete this file when merging: the real 0005_*.sql takes its place.
SELECT 1;
