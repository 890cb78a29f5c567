export const metadata = { title: "NextAuth v4 App" };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>
        <h1>NextAuth v4 App</h1>
        {children}
      </body>
    </html>
  );
}
