package org.anode.nio;

import java.io.IOException;
import java.nio.channels.Pipe;
import java.nio.channels.spi.SelectorProvider;

/**
 * Issue 15: the registration suite (checklist items 4-6) with the JDK's own pipe registered with our
 * selector, next to the Anode channels some of its tests add.
 */
class SelectorRegistrationJdkTest extends SelectorRegistrationTest {
    @Override
    Pipe newPipe() throws IOException {
        return SelectorProvider.provider().openPipe();
    }
}
