/** The add-ons, in the order they plan. The only file that imports an add-on's folder. */
import { ciliumIstio } from './cilium-istio';
import { gatewayApi } from './gateway-api';
import { metallb } from './metallb';
import { metricsServer } from './metrics-server';
import type { AddOn } from '../contracts/addon';

export const ADDONS: readonly AddOn[] = [metallb, metricsServer, ciliumIstio, gatewayApi];
