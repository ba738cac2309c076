package dev.kiln.core;

import java.net.http.HttpClient;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * TLS for a {@link HttpClient} that is set up on the client's first https connection instead of when the client is
 * built. A client built without a context takes the JDK's default one at once, and its default parameters: that
 * loads the JSSE provider and parses the trust store (some 300 classes and a megabyte of certificates kept in the
 * heap) in every daemon and command, though registries on 127.0.0.1 and most internal ones speak plain http. The
 * context here is the JDK's default one, asked for when a connection first needs it, so https connections verify
 * certificates and host names exactly as before.
 *
 * <p>The client is given empty parameters: an engine keeps its defaults for whatever parameters leave unset
 * (protocols, cipher suites, groups), which are the default context's, and the client still sets host name
 * verification, SNI and ALPN on each connection itself.
 */
public final class DeferredTls {

    private static final SSLContext CONTEXT = new DeferredContext();

    private DeferredTls() {}

    /** {@code builder} with TLS that is set up when first needed. */
    public static HttpClient.Builder on(HttpClient.Builder builder) {
        return builder.sslContext(CONTEXT).sslParameters(new SSLParameters());
    }

    private static final class DeferredContext extends SSLContext {
        DeferredContext() {
            super(new DeferredSpi(), null, "Default");
        }
    }

    /** Hands every call to the JDK's default context, which the JDK makes once and keeps. */
    private static final class DeferredSpi extends SSLContextSpi {

        private static SSLContext real() {
            try {
                return SSLContext.getDefault();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no default TLS context: " + e.getMessage(), e);
            }
        }

        @Override
        protected void engineInit(KeyManager[] keys, TrustManager[] trust, SecureRandom random)
                throws KeyManagementException {
            throw new KeyManagementException("the default TLS context is initialized by the JDK");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return real().getSocketFactory();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return real().getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return real().createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return real().createSSLEngine(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return real().getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return real().getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return real().getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return real().getSupportedSSLParameters();
        }
    }
}
