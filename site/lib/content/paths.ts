/** Where the content lives: outside the app, at the repository root. */
import path from 'node:path';

export const REPO = process.env.ODIBI_REPO ?? path.resolve(process.cwd(), '..');
export const LESSONS_DIR = path.join(REPO, 'lessons');
export const NOTEBOOKS_DIR = path.join(REPO, 'notebooks');
