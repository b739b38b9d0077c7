/** A step as a magic declares it: the JSON config fields (what `%export` writes). */
export type StepFields = Record<string, unknown> & { layer: string; name: string };
