/** The scenario matrix against the Linux-bridge backend (bridges, VXLAN, nftables). */
import { scenarioMatrix } from './scenarios/matrix';

jest.setTimeout(60_000);
scenarioMatrix('linuxbridge');
