import { buildDistrictEstate } from './src/simulator/district-estate';
import { DistrictTrafficModel } from './src/simulator/district-traffic-model';
import { countDailyVolumes } from './src/simulator/daily-volumes';
import { loadFaceGallery } from './src/simulator/face-gallery';
(async () => {
  const faces = await loadFaceGallery();
  const t = Date.now();
  const model = new DistrictTrafficModel(buildDistrictEstate(), { seed: 42, faces });
  console.log(countDailyVolumes(model), Date.now() - t, 'ms');
})();
