// Logto as an OAuth provider of NextAuth v4, as Logto's Next Auth v4 guide configures it (Logto Console guide
// "Next Auth v4"; docs.logto.io/quick-starts/next-auth): the well-known URL, ES384 ID tokens. The values come from
// the environment (see README.md).
export const authOptions = {
  providers: [
    {
      id: "logto",
      name: "Logto",
      type: "oauth",
      // You can get the well-known URL from the Logto Application Details page,
      // in the field "OpenID Provider configuration endpoint"
      wellKnown: process.env.AUTH_LOGTO_WELL_KNOWN,
      authorization: { params: { scope: "openid offline_access profile email" } },
      clientId: process.env.AUTH_LOGTO_ID,
      clientSecret: process.env.AUTH_LOGTO_SECRET,
      client: {
        id_token_signed_response_alg: "ES384",
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
};
