const { PGlite } = require('@electric-sql/pglite');
(async () => {
  let t = Date.now();
  const a = new PGlite(); await a.query('select 1'); console.log('fresh', Date.now() - t);
  t = Date.now(); const blob = await a.dumpDataDir('none'); console.log('dump', Date.now() - t, blob.size);
  t = Date.now(); const b = new PGlite({ loadDataDir: blob }); await b.query('select 1'); console.log('from dump', Date.now() - t);
  t = Date.now(); const c = new PGlite(); await c.query('select 1'); console.log('fresh again', Date.now() - t);
})();
