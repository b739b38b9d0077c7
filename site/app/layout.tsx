import type { Metadata } from 'next';
import Link from 'next/link';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import 'highlight.js/styles/github.css';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'LearnODIBI', template: '%s · LearnODIBI' },
  description: 'Learn ODIBI: from a first pipeline to production, with cells that run on the real kernel.',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request: the Content-Security-Policy nonce (proxy.ts) is new each time.
  await connection();
  return (
    <html lang="en">
      <body>
        <a href="#main" className="skip-link">Skip to content</a>
        <header className="site-header">
          <nav aria-label="site">
            <Link href="/" className="brand">LearnODIBI</Link>
            <Link href="/#lessons">Lessons</Link>
            <Link href="/#notebooks">Notebooks</Link>
          </nav>
        </header>
        <main id="main">{children}</main>
        <footer className="site-footer">
          <p>Cells run on the odibi kernel (TypeScript + pipeline magics). Your progress stays in this browser.</p>
        </footer>
      </body>
    </html>
  );
}
