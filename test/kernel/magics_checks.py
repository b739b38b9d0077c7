"""Builds a pipeline with the odibi magics through jupyter_client, in the folder given as argv[1].

Prints a JSON object per cell (reply + outputs) so kernel-magics.test.ts can assert on what a
notebook user sees.
"""
import json
import sys

from jupyter_client.manager import start_new_kernel

from cell_runner import run_cell

CELLS = {
    'ingest_readings': '%ingest readings data/readings.csv --format csv',
    'ingest_devices': '%ingest devices data/devices.csv',
    'sql': '%%sql per_site\nSELECT d.site, count(*) AS n FROM readings r JOIN devices d USING (device_id) GROUP BY ALL ORDER BY site',
    'sql_again': '%%sql per_site\nSELECT d.site, count(*) AS readings FROM readings r JOIN devices d USING (device_id) GROUP BY ALL ORDER BY site',
    'sql_broken': '%%sql per_site\nSELECT nope FROM readings',
    'chart': '%chart per_site bar x=site y=readings',
    'chart_cell': '%%chart per_site\n{"mark": "point", "encoding": {"x": {"field": "site", "type": "nominal"}, "y": {"field": "readings", "type": "quantitative"}}}',
    'chart_bad_column': '%chart per_site bar x=sitee y=readings',
    'rows': 'const top = await odibi.rows("per_site", 2);\ntop.map((r) => r.site).join(",")',
    'table': '(await odibi.table("devices")).numRows',
    'ts': '%%ts share --inputs per_site\nconst rows = per_site.toArray().map((r: any) => r.toJSON());\nconst total = rows.reduce((n: number, r: any) => n + Number(r.readings), 0);\nctx.log(`shared ${rows.length} sites`);\nreturn rows.map((r: any) => ({ site: r.site, share: Math.round((Number(r.readings) / total) * 1000) / 1000 }));',
    'ts_bad_input': '%%ts x --inputs nowhere\nreturn []',
    'store': '%store per_site out/per_site.csv --format csv',
    'store_share': '%store share out/share.csv',
    'publish': '%publish per_site out/per_site.json',
    'connect': '%connect lite db/app.sqlite',
    'steps': '%steps',
    'dag': '%dag',
    'export': '%export pipelines/iot.json',
    'run': '%run',
    'dag_after_run': '%dag',
    'typed_value': 'const sites = await odibi.rows("per_site");\ntypeof sites[0].readings',
    'typed_bad_key': 'const x = await odibi.rows("per_sight");',
    'typed_bad_column': 'const y = (await odibi.rows("per_site"))[0].readngs;',
    'slow': '%%ts slow --inputs devices\nawait new Promise((r) => setTimeout(r, 700));\nreturn devices.toArray().map((r: any) => r.toJSON());',
    'run_slow': '%run',
    'template_var': 'const minReadings: number = 490;',
    'sql_template': '%%sql busy --template\nSELECT site FROM per_site WHERE readings > {{minReadings}} ORDER BY site',
    'sql_template_missing': '%%sql busy2 --template\nSELECT {{minReading}} AS x',
    'sql_no_template': "%%sql braces\nSELECT '{{minReadings}}' AS s",
    'unknown_magic': '%ingets x y',
    'unknown_key': '%store per_sight out/x.csv',
    'missing_arg': '%ingest only_a_key',
    'lsmagic': '%lsmagic',
    'help': '%help sql',
}


def main():
    km, kc = start_new_kernel(kernel_name='odibi', startup_timeout=60, cwd=sys.argv[1])
    results = {}

    def run(code):
        return run_cell(km, kc, code)

    def complete(code):
        kc.complete(code, len(code))
        while True:
            reply = kc.get_shell_msg(timeout=30)
            if reply['msg_type'] == 'complete_reply':
                return reply['content']['matches']

    try:
        for name, code in CELLS.items():
            results[name] = run(code)
        results['completions'] = {
            'key': complete('await odibi.rows("per_s'),
            'column': complete('const z = (await odibi.rows("per_site"))[0].re'),
            'sql': complete('%%sql q\nSELECT si'),
        }
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
