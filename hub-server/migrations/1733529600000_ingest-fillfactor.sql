-- Up Migration
-- Every heartbeat rewrites its camera's row (last seen, last health). With full pages PostgreSQL
-- must put each new row version on another page and add it to every index (two of them GiST);
-- room on the page lets it update in place (a HOT update), touching no index. Existing rows move
-- into the roomier layout as they are next rewritten by VACUUM FULL or by a dump and restore.
ALTER TABLE cameras SET (fillfactor = 40);

-- Down Migration
ALTER TABLE cameras RESET (fillfactor);
