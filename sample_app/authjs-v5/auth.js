// Logto as an OIDC provider of Auth.js v5, as Logto's Auth.js guide configures it (Logto Console guide
// "Next Auth v5"; docs.logto.io/quick-starts/next-auth). The values come from the environment (see README.md).
import NextAuth from "next-auth";

export const { handlers, signIn, signOut, auth } = NextAuth({
  providers: [
    {
      id: "logto",
      name: "Logto",
      type: "oidc",
      issuer: process.env.AUTH_LOGTO_ISSUER,
      clientId: process.env.AUTH_LOGTO_ID,
      clientSecret: process.env.AUTH_LOGTO_SECRET,
      authorization: {
        params: { scope: "openid offline_access profile email" },
      },
      profile(profile) {
        // You can customize the user profile mapping here
        return {
          id: profile.sub,
          name: profile.name ?? profile.username,
          email: profile.email,
          image: profile.picture,
        };
      },
    },
  ],
});
