import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A plot ready for the HTML page: inline SVG of a fixed pixel size. */
export interface RenderedPlot {
  id: string;
  title: string;
  caption: string;
  width: number;
  height: number;
  svg: string;
}

/** What every plot builder returns before rendering: a Vega-Lite spec plus its page metadata. */
export interface PlotSpec {
  id: string;
  title: string;
  caption: string;
  width: number;
  height: number;
  spec: TopLevelSpec;
}

/**
 * Vega-Lite → Vega → SVG, headless in Node (no canvas, no browser). The whole figure, axes and legend
 * included, is fitted into exactly width × height pixels (`autosize: fit, contains: padding`), so the
 * HTML test can check each drawn SVG against the size the builder asked for.
 */
export async function renderPlot(plot: PlotSpec): Promise<RenderedPlot> {
  const spec = {
    ...plot.spec,
    width: plot.width,
    height: plot.height,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 8,
    background: 'white',
    config: { font: 'Helvetica, Arial, sans-serif', ...(plot.spec.config ?? {}) },
  } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = namespaceIds(await view.toSVG(), plot.id);
    return { id: plot.id, title: plot.title, caption: plot.caption, width: plot.width, height: plot.height, svg };
  } finally {
    view.finalize();
  }
}

/**
 * Vega numbers its gradients and clip paths (gradient_0, clip1, …) per process; several SVGs inlined in
 * one page must not share ids, so each internal id and its url(#…) references get the plot's id in front.
 */
function namespaceIds(svg: string, prefix: string): string {
  const ids = new Set(Array.from(svg.matchAll(/\bid="([^"]+)"/g), (m) => m[1]));
  let out = svg;
  for (const id of ids) {
    out = out.split(`id="${id}"`).join(`id="${prefix}-${id}"`).split(`url(#${id})`).join(`url(#${prefix}-${id})`);
  }
  return out;
}
