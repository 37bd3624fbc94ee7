-- Custom SQL migration file, put your code below! --
-- Trigram indexes make substring search (ILIKE %term%) on names fast.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
