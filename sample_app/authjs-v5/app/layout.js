export const metadata = { title: "Auth.js v5 App" };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>
        <h1>Auth.js v5 App</h1>
        {children}
      </body>
    </html>
  );
}
