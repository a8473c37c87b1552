package org.anode.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.anode.engine.EngineConfig;
import org.junit.jupiter.api.Test;

/** The engine's settings (draft 3 table bounds, DECISIONS 30 ERROR replies) as the node hands them over. */
class NodeConfigToEngineTest {
    @Test
    void defaultsAgree() {
        assertEquals(EngineConfig.defaults(), AnodeNodeConfig.defaults().engineConfig());
    }

    @Test
    void everyEngineSettingIsCarriedOver() {
        AnodeNodeConfig c = AnodeNodeConfig.builder().maxPeers(7).maxEndpointsPerPeer(3).maxPendingPings(11)
                .newPeerRate(40).newPeerRatePerSource(9).errorReplies(true).errorReplyRate(5).build();
        assertEquals(new EngineConfig(7, 3, 11, 40, 9, true, 5), c.engineConfig());
    }

    @Test
    void theDerivedPerSourceRateIsCarriedOver() {
        assertEquals(5, AnodeNodeConfig.builder().newPeerRate(40).build().engineConfig().newPeerRatePerSource());
        assertEquals(EngineConfig.defaults().withNewPeerRate(40),
                AnodeNodeConfig.builder().newPeerRate(40).build().engineConfig());
    }

    @Test
    void outOfRangeEngineSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.defaults().withMaxPeers(0));
        assertThrows(IllegalArgumentException.class, () -> new EngineConfig(1, 65, 1, 1, 1, false, 1));
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.defaults().withErrorReplies(true, 10_001));
    }
}
